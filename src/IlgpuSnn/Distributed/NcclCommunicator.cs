using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Distributed;

/// <summary>
/// Collectives on CUDA device tensors through NCCL (GPU to GPU, NVLink/InfiniBand where present), on the device's
/// default stream so they are ordered with the kernels around them. One rank per GPU: the device must be the one the
/// local rank selects (<see cref="LocalDevice"/>). The NCCL unique id is made by rank 0 and broadcast over the
/// bootstrap communicator (MPI), which also carries the host-side collectives (metrics, broadcasts of bytes, barriers).
/// </summary>
public sealed unsafe class NcclCommunicator : ICommunicator
{
    private readonly NcclLibrary nccl;
    private readonly ICommunicator bootstrap;
    private readonly Device device;
    private readonly nint stream;
    private nint communicator;

    /// <summary>Creates the NCCL communicator of all ranks of <paramref name="bootstrap"/> on <paramref name="device"/>.</summary>
    /// <param name="bootstrap">The communicator that shares the NCCL unique id; its ranks become NCCL's.</param>
    /// <param name="device">The CUDA device of this rank.</param>
    /// <exception cref="InvalidOperationException">The device is not CUDA or NCCL is absent.</exception>
    public NcclCommunicator(ICommunicator bootstrap, Device device)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        ArgumentNullException.ThrowIfNull(device);
        if (device.Accelerator is not CudaAccelerator cuda)
            throw new InvalidOperationException($"NCCL: needs a CUDA device, got {device.Info}.");
        nccl = NcclLibrary.TryLoad(out var reason) ?? throw new InvalidOperationException($"NCCL: {reason}");
        this.bootstrap = bootstrap;
        this.device = device;
        stream = ((CudaStream)cuda.DefaultStream).StreamPtr;
        NcclLibrary.UniqueId id = default;
        if (bootstrap.Rank == 0) nccl.Check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
        bootstrap.Broadcast(new Span<byte>(id.Bytes, NcclLibrary.UniqueIdBytes), 0);
        cuda.Bind();
        nint comm;
        nccl.Check(nccl.CommInitRank(&comm, bootstrap.Size, id, bootstrap.Rank), "ncclCommInitRank");
        communicator = comm;
    }

    /// <summary>Whether libnccl can be loaded here.</summary>
    /// <param name="reason">Why not, when absent (what is missing and how to install it, or the load error); otherwise empty.</param>
    /// <returns>True when libnccl was loaded.</returns>
    public static bool IsAvailable(out string reason) => NcclLibrary.TryLoad(out reason) is not null;

    /// <inheritdoc />
    public string Backend => "nccl";

    /// <inheritdoc />
    public int Rank => bootstrap.Rank;

    /// <inheritdoc />
    public int Size => bootstrap.Size;

    /// <inheritdoc />
    public int LocalRank => bootstrap.LocalRank;

    /// <inheritdoc />
    public int LocalSize => bootstrap.LocalSize;

    /// <inheritdoc />
    public void AllReduce(Tensor tensor, ReduceOperation operation)
    {
        var pointer = DevicePointer(tensor);
        if (tensor.Length == 0) return;
        nccl.Check(nccl.AllReduce(pointer, pointer, (nuint)tensor.Length, NcclLibrary.Float32, NcclLibrary.Sum, communicator, stream), "ncclAllReduce");
        if (operation == ReduceOperation.Average && Size > 1)
            Ops.ScaleInPlace(tensor, 1f / Size);
    }

    /// <inheritdoc />
    public void AllReduce(Span<float> values, ReduceOperation operation) => bootstrap.AllReduce(values, operation);

    /// <inheritdoc />
    public void AllReduce(Span<double> values, ReduceOperation operation) => bootstrap.AllReduce(values, operation);

    /// <inheritdoc />
    public void Broadcast(Tensor tensor, int root)
    {
        var pointer = DevicePointer(tensor);
        if (root < 0 || root >= Size) throw new ArgumentOutOfRangeException(nameof(root), $"ncclBroadcast: root {root} is not a rank of this job of {Size}.");
        if (tensor.Length == 0) return;
        nccl.Check(nccl.Broadcast(pointer, pointer, (nuint)tensor.Bytes, NcclLibrary.Uint8, root, communicator, stream), "ncclBroadcast");
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root) => bootstrap.Broadcast(data, root);

    /// <inheritdoc />
    public void Barrier()
    {
        device.Synchronize();
        bootstrap.Barrier();
    }

    /// <inheritdoc />
    public void Abort(int exitCode)
    {
        if (communicator != 0) nccl.CommAbort(communicator);
        communicator = 0;
        bootstrap.Abort(exitCode);
    }

    /// <summary>Waits for queued collectives and destroys the NCCL communicator (not the bootstrap one).</summary>
    public void Dispose()
    {
        if (communicator == 0) return;
        device.Synchronize();
        var comm = communicator;
        communicator = 0;
        nccl.Check(nccl.CommDestroy(comm), "ncclCommDestroy");
    }

    private void* DevicePointer(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(communicator == 0, this);
        if (!ReferenceEquals(tensor.Device, device))
            throw new ArgumentException($"NCCL: the tensor lives on {tensor.Device.Info.Id}, this communicator on {device.Info.Id}.", nameof(tensor));
        return tensor.Length == 0 ? null : (void*)tensor.View.LoadEffectiveAddressAsPtr();
    }
}

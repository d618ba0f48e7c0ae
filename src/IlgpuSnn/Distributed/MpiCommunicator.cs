using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Distributed;

/// <summary>
/// Collectives over MPI_COMM_WORLD through Open MPI, loaded at run time. MPI is initialised (MPI_THREAD_SERIALIZED;
/// calls are serialised by a lock) when the first instance is created and finalised when it is disposed; a process can
/// do that once. Errors come back as <see cref="CollectiveException"/>s naming the call (MPI_ERRORS_RETURN).
/// Device tensors travel through MPI directly from the CPU accelerator's host memory and through a reused pinned host
/// buffer from GPUs.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private const int MaxChunk = 1 << 30;
    private static int created;

    private readonly MpiLibrary mpi;
    private readonly Lock gate = new();
    private readonly bool ownsInitialisation;
    private float[] staging = [];
    private bool disposed;

    private MpiCommunicator(MpiLibrary mpi)
    {
        this.mpi = mpi;
        int flag;
        mpi.Check(mpi.Initialized(&flag), "MPI_Initialized");
        if (flag == 0)
        {
            int provided;
            mpi.Check(mpi.InitThread(null, null, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
            ownsInitialisation = true;
        }
        mpi.Check(mpi.CommSetErrhandler(mpi.CommWorld, mpi.ErrorsReturn), "MPI_Comm_set_errhandler");
        int rank, size;
        mpi.Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        mpi.Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        nint local;
        mpi.Check(mpi.CommSplitType(mpi.CommWorld, MpiLibrary.CommTypeShared, rank, mpi.InfoNull, &local), "MPI_Comm_split_type");
        int localRank, localSize;
        mpi.Check(mpi.CommRank(local, &localRank), "MPI_Comm_rank");
        mpi.Check(mpi.CommSize(local, &localSize), "MPI_Comm_size");
        mpi.Check(mpi.CommFree(&local), "MPI_Comm_free");
        LocalRank = localRank;
        LocalSize = localSize;
    }

    /// <summary>Whether an MPI library this class can use is present (loads it; does not initialise MPI).</summary>
    /// <param name="reason">Why not, when absent (the library names tried, or why a library found is unusable); otherwise empty.</param>
    /// <returns>True when an MPI library was loaded.</returns>
    public static bool IsAvailable(out string reason) => MpiLibrary.TryLoad(out reason) is not null;

    /// <summary>Initialises MPI and joins MPI_COMM_WORLD.</summary>
    /// <returns>The communicator of MPI_COMM_WORLD; disposing it finalises MPI.</returns>
    /// <exception cref="InvalidOperationException">No usable MPI library, or MPI was already initialised and finalised by this class.</exception>
    public static MpiCommunicator Create()
    {
        var library = MpiLibrary.TryLoad(out var reason) ?? throw new InvalidOperationException($"MPI: {reason}");
        if (Interlocked.Exchange(ref created, 1) != 0)
            throw new InvalidOperationException("MPI: a process can initialise MPI once; share the one MpiCommunicator.");
        return new MpiCommunicator(library);
    }

    /// <inheritdoc />
    public string Backend => "mpi";

    /// <summary>The MPI library file that was loaded.</summary>
    public string Library => mpi.Path;

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <inheritdoc />
    public int LocalRank { get; }

    /// <inheritdoc />
    public int LocalSize { get; }

    /// <inheritdoc />
    public void AllReduce(Tensor tensor, ReduceOperation operation)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Device.Launch.IsCpu)
        {
            tensor.Device.Synchronize();
            if (tensor.Length > 0) SumInPlace((float*)tensor.View.LoadEffectiveAddressAsPtr(), tensor.Length, mpi.Float);
            if (operation == ReduceOperation.Average && Size > 1)
                Ops.ScaleInPlace(tensor, 1f / Size);
            return;
        }
        lock (gate)
        {
            var host = Stage(tensor);
            AllReduce(host, operation);
            tensor.CopyFrom(host);
        }
    }

    /// <inheritdoc />
    public void AllReduce(Span<float> values, ReduceOperation operation)
    {
        fixed (float* p = values) SumInPlace(p, values.Length, mpi.Float);
        if (operation == ReduceOperation.Average)
            for (int i = 0; i < values.Length; i++) values[i] /= Size;
    }

    /// <inheritdoc />
    public void AllReduce(Span<double> values, ReduceOperation operation)
    {
        fixed (double* p = values) SumInPlace(p, values.Length, mpi.Double);
        if (operation == ReduceOperation.Average)
            for (int i = 0; i < values.Length; i++) values[i] /= Size;
    }

    /// <inheritdoc />
    public void Broadcast(Tensor tensor, int root)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Device.Launch.IsCpu)
        {
            tensor.Device.Synchronize();
            if (tensor.Length > 0) BroadcastBytes((byte*)tensor.View.LoadEffectiveAddressAsPtr(), tensor.Bytes, root);
            return;
        }
        lock (gate)
        {
            var host = Stage(tensor);
            fixed (float* p = host) BroadcastBytes((byte*)p, tensor.Bytes, root);
            tensor.CopyFrom(host);
        }
    }

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root)
    {
        fixed (byte* p = data) BroadcastBytes(p, data.Length, root);
    }

    /// <inheritdoc />
    public void Barrier()
    {
        lock (gate)
        {
            ThrowIfDisposed();
            mpi.Check(mpi.Barrier(mpi.CommWorld), "MPI_Barrier");
        }
    }

    /// <inheritdoc />
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        if (!disposed) mpi.Abort(mpi.CommWorld, exitCode);
        Environment.Exit(exitCode);
    }

    /// <summary>Finalises MPI (when this instance initialised it).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            if (ownsInitialisation) mpi.Check(mpi.Finalize(), "MPI_Finalize");
        }
    }

    private Span<float> Stage(Tensor tensor)
    {
        if (staging.Length < tensor.Length) staging = GC.AllocateUninitializedArray<float>(checked((int)tensor.Length), pinned: true);
        var host = staging.AsSpan(0, (int)tensor.Length);
        tensor.CopyTo(host);
        return host;
    }

    private void SumInPlace<T>(T* data, long count, nint type)
        where T : unmanaged
    {
        lock (gate)
        {
            ThrowIfDisposed();
            for (long done = 0; done < count; done += MaxChunk)
                mpi.Check(mpi.Allreduce(MpiLibrary.InPlace, data + done, (int)Math.Min(MaxChunk, count - done), type, mpi.OpSum, mpi.CommWorld), "MPI_Allreduce");
        }
    }

    private void BroadcastBytes(byte* data, long count, int root)
    {
        lock (gate)
        {
            ThrowIfDisposed();
            for (long done = 0; done < Math.Max(count, 1); done += MaxChunk)
                mpi.Check(mpi.Bcast(data + done, (int)Math.Min(MaxChunk, count - done), mpi.Byte, root, mpi.CommWorld), "MPI_Bcast");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}

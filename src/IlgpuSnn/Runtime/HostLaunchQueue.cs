using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Kernels;

namespace IlgpuSnn.Runtime;

/// <summary>
/// The CPU accelerator's kernel queue: kernels are recorded instead of launched one by one, and run in order inside ONE
/// ILGPU launch when the host next needs the device's memory (a read, an upload, a synchronisation, a freed block).
/// Every ILGPU launch on the CPU accelerator wakes its worker threads and waits for them (about 75 µs on the 2-core CI
/// machine, more than most small kernels take); a training iteration of the step-by-step estimators is ~60 of them.
/// Inside the one launch each worker calls every recorded kernel with the grid the kernel was launched for (the same
/// one-group grid <see cref="LaunchPlan.GridStride"/> gives every kernel on the CPU), then waits at a spin barrier for
/// the other workers before the next, so each kernel sees its predecessors' results exactly as with separate launches.
/// This is the CPU's form of a GPU stream: launches return at once, and the host waits only where it reads. A kernel
/// that throws stops the rest of the batch; its exception is rethrown where the batch runs.
/// </summary>
internal sealed class HostLaunchQueue : IDisposable
{
    /// <summary>The most kernels recorded before the queue runs them anyway (bounds what the recorded closures hold).</summary>
    internal const int Capacity = 4096;

    private readonly object gate = new();
    private readonly List<Action> recorded = [];
    private readonly List<object> held = [];
    private readonly Action<KernelConfig, long> launch;
    private readonly KernelConfig grid;
    private readonly DeviceActivity activity;
    private GCHandle self;
    private Action[] running = [];
    private ExceptionDispatchInfo? failure;
    private int arrived;
    private int generation;

    /// <summary>
    /// A queue whose kernels all run on the grid <paramref name="grid"/>; <paramref name="launch"/> launches
    /// <see cref="HostQueueKernels.RunKernel"/> (loaded by the <see cref="KernelCache"/>).
    /// </summary>
    public HostLaunchQueue(Action<KernelConfig, long> launch, KernelConfig grid, DeviceActivity activity)
    {
        this.launch = launch;
        this.grid = grid;
        this.activity = activity;
        self = GCHandle.Alloc(this);
    }

    /// <summary>Whether kernels are recorded (on by default; off, every kernel is launched on its own, as on a GPU without a stream).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Kernels recorded and not yet run.</summary>
    public int Pending
    {
        get
        {
            lock (gate) return recorded.Count;
        }
    }

    /// <summary>Whether a kernel launched on <paramref name="config"/> can be recorded (the queue's grid, queueing on).</summary>
    public bool Accepts(KernelConfig config) =>
        Enabled && config.GridDim == grid.GridDim && config.GroupDim == grid.GroupDim && config.SharedMemoryConfig.NumElements == 0;

    /// <summary>Records one kernel call; runs the queue when it reaches <see cref="Capacity"/>.</summary>
    public void Add(Action kernelCall)
    {
        bool full;
        lock (gate)
        {
            recorded.Add(kernelCall);
            full = recorded.Count >= Capacity;
        }
        if (full) Flush();
    }

    /// <summary>
    /// Keeps <paramref name="value"/> alive until the kernels recorded so far have run (a pinned table whose address a
    /// recorded kernel reads); nothing to keep when nothing is recorded.
    /// </summary>
    public void Hold(object value)
    {
        lock (gate)
        {
            if (recorded.Count > 0) held.Add(value);
        }
    }

    /// <summary>Runs every recorded kernel, in order, in one launch; rethrows the first exception a kernel threw.</summary>
    public void Flush()
    {
        lock (gate)
        {
            if (recorded.Count == 0) return;
            running = [.. recorded];
            recorded.Clear();
            failure = null;
            try
            {
                activity.HandedOff();
                launch(grid, GCHandle.ToIntPtr(self));
            }
            finally
            {
                running = [];
                held.Clear();
            }
            var thrown = failure;
            failure = null;
            thrown?.Throw();
        }
    }

    /// <summary>Drops the handle that lets the workers find this queue (after a last <see cref="Flush"/> by the owner).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            recorded.Clear();
            held.Clear();
            if (self.IsAllocated) self.Free();
        }
    }

    /// <summary>
    /// One worker's part of the launch (<see cref="HostQueueKernels.RunKernel"/>): runs the recorded kernels of the
    /// queue behind <paramref name="handle"/>, with a barrier of all <paramref name="threads"/> workers between two.
    /// </summary>
    internal static void RunWorker(long handle, int threads) =>
        ((HostLaunchQueue)GCHandle.FromIntPtr((nint)handle).Target!).Run(threads);

    private void Run(int threads)
    {
        var calls = running;
        for (int i = 0; i < calls.Length; i++)
        {
            if (Volatile.Read(ref failure) is null)
            {
                try
                {
                    calls[i]();
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
                }
            }
            if (i + 1 < calls.Length) Barrier(threads);
        }
    }

    /// <summary>
    /// Waits until all <paramref name="threads"/> workers have arrived (a counter and a generation: the last to arrive
    /// resets the counter and opens the next generation). The workers are awake inside one launch, so they spin, yielding
    /// to other threads after a few rounds.
    /// </summary>
    private void Barrier(int threads)
    {
        int current = Volatile.Read(ref generation);
        if (Interlocked.Increment(ref arrived) == threads)
        {
            Volatile.Write(ref arrived, 0);
            Interlocked.Increment(ref generation);
            return;
        }
        var spin = default(SpinWait);
        while (Volatile.Read(ref generation) == current) spin.SpinOnce(sleep1Threshold: -1);
    }
}

using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace IlgpuSnn.Runtime;

/// <summary>
/// One compute device: owns the ILGPU <see cref="Context"/> and <see cref="Accelerator"/>, the memory pool,
/// the launch plan and the cache of loaded kernels. Every tensor belongs to exactly one device.
/// Choose with <see cref="Create(string?)"/>: CUDA, then OpenCL, then CPU, unless a name is given
/// explicitly or through the <c>ILGPUSNN_DEVICE</c> environment variable.
/// </summary>
public sealed class Device : IDisposable
{
    /// <summary>The environment variable that selects a device when no name is passed to <see cref="Create(string?)"/>.</summary>
    public const string EnvironmentVariable = "ILGPUSNN_DEVICE";

    private readonly Context context;
    private bool disposed;

    private Device(Context context, Accelerator accelerator, DeviceInfo info)
    {
        this.context = context;
        Accelerator = accelerator;
        Info = info;
        Launch = new LaunchPlan(accelerator);
        Kernels = new KernelCache(accelerator, Activity, Launch);
        Pool = new BufferPool(accelerator, Kernels.Queue is { } queue ? queue.Flush : null);
    }

    /// <summary>
    /// Runs the kernels the CPU accelerator has recorded (<see cref="HostLaunchQueue"/>) before the host touches device
    /// memory itself (a copy, an upload); nothing to do on GPUs, where the stream orders copies after kernels.
    /// </summary>
    internal void RunQueued() => Kernels.Queue?.Flush();

    /// <summary>
    /// The ILGPU accelerator; use it only for interop, all library work goes through tensors. On the CPU accelerator the
    /// library records kernels and runs them when the host reads: call <see cref="Synchronize"/> before touching memory
    /// through the accelerator directly.
    /// </summary>
    public Accelerator Accelerator { get; }

    /// <summary>Which device this is (kind, index, name).</summary>
    public DeviceInfo Info { get; }

    /// <summary>The caching allocator with exact live/peak byte counters.</summary>
    public BufferPool Pool { get; }

    /// <summary>How kernels are launched on this device (grid sizes, GEMM variant).</summary>
    internal LaunchPlan Launch { get; }

    internal KernelCache Kernels { get; }

    /// <summary>Kind of the device: "cuda", "opencl" or "cpu".</summary>
    public string Kind => Info.Kind;

    /// <summary>
    /// Multiply-accumulate counter fed by the GEMM and convolution launch path; reset it to measure a region.
    /// </summary>
    public MacCounter Macs { get; } = new();

    /// <summary>
    /// Creates a device. <paramref name="name"/> is "cuda", "opencl" or "cpu", optionally with an index
    /// ("cuda:1"); null reads <c>ILGPUSNN_DEVICE</c> and, if that is unset, picks CUDA &gt; OpenCL &gt; CPU.
    /// </summary>
    /// <param name="name">cuda, opencl or cpu, optionally with :index (e.g. cuda:1); null for the environment variable or the best present.</param>
    /// <returns>The device; dispose it when done.</returns>
    /// <exception cref="ArgumentException">The requested device is not present; the message lists those that are.</exception>
    public static Device Create(string? name = null)
    {
        name ??= Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(name)) name = null;
        if (name is not null && name.Trim().ToLowerInvariant().Split(':', 2)[0] == "cpu" && CreateCpu(name) is { } cpu) return cpu;
        var refused = new List<RefusedDevice>();
        var context = CreateContext(refused);
        try
        {
            var available = Enumerate(context);
            var chosen = name is null ? PickDefault(available) : Find(available, refused, name);
            var accelerator = chosen.Device.CreateAccelerator(context);
            return new Device(context, accelerator, chosen.Info);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A CPU device named explicitly, from a context that does not probe CUDA and OpenCL (loading their drivers, e.g. an
    /// OpenCL runtime such as PoCL, costs a quarter of a second); null when the name does not resolve, so that the caller's
    /// full probe reports the devices present.
    /// </summary>
    private static Device? CreateCpu(string name)
    {
        var context = Context.Create(b => Configure(b.CPU(CpuShape.FittedToCores())));
        try
        {
            var cpus = Collect(context.GetCPUDevices()).Select((d, i) => new Entry(DeviceDescriptions.Describe("cpu", i, d), d)).ToList();
            var parts = name.Trim().Split(':', 2);
            int index = 0;
            if ((parts.Length == 2 && !int.TryParse(parts[1], out index)) || index < 0 || index >= cpus.Count)
            {
                context.Dispose();
                return null;
            }
            return new Device(context, cpus[index].Device.CreateAccelerator(context), cpus[index].Info);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Lists the devices present on this machine, in the order of preference.</summary>
    /// <returns>Every accelerator ILGPU can use here, in the order <see cref="Create"/> prefers them.</returns>
    public static IReadOnlyList<DeviceInfo> ListAvailable()
    {
        using var context = CreateContext([]);
        return Enumerate(context).Select(e => e.Info).ToList();
    }

    /// <summary>Lists the OpenCL devices the drivers report but ILGPU cannot run on, each with the reason.</summary>
    /// <returns>The refused OpenCL devices, each with the reason.</returns>
    public static IReadOnlyList<RefusedDevice> ListRefused()
    {
        var refused = new List<RefusedDevice>();
        using var context = CreateContext(refused);
        return refused;
    }

    /// <summary>Kernel launches, host synchronisations and uploads of this device, counted where they happen.</summary>
    public DeviceActivity Activity { get; } = new();

    /// <summary>Waits until all queued work on the device has finished (counted in <see cref="Activity"/>).</summary>
    public void Synchronize()
    {
        ThrowIfDisposed();
        Activity.Synchronized();
        RunQueued();
        Accelerator.Synchronize();
    }

    /// <summary>Whether <see cref="Dispose"/> was called; tensors of a disposed device refuse every use.</summary>
    public bool IsDisposed => disposed;

    /// <summary>Throws when the device was disposed.</summary>
    internal void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }

    /// <inheritdoc />
    public override string ToString() => Info.ToString();

    /// <summary>Frees the pool, the kernels, the accelerator and the context, in that order.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        RunQueued();
        Accelerator.Synchronize();
        Pool.Dispose();
        Kernels.Dispose();
        Accelerator.Dispose();
        context.Dispose();
    }

    /// <summary>Creates the context with every usable device; OpenCL devices ILGPU cannot run on go to <paramref name="refused"/>.</summary>
    private static Context CreateContext(List<RefusedDevice> refused)
    {
        OpenClLibraryResolver.Register();
        return Context.Create(b => Configure(b
            .Cuda()
            .OpenCL(d =>
            {
                if (DeviceDescriptions.OpenClRefusal(d) is not { } reason) return true;
                refused.Add(new RefusedDevice("opencl", DeviceDescriptions.OpenClName(d), reason));
                return false;
            })
            .CPU(CpuShape.FittedToCores())));
    }

    /// <summary>The compiler settings of every context: O2 (vector loads, address-space inference) and ILGPU.Algorithms (math intrinsics on PTX).</summary>
    private static Context.Builder Configure(Context.Builder builder) => builder.Optimize(OptimizationLevel.O2).EnableAlgorithms();

    private sealed record Entry(DeviceInfo Info, ILGPU.Runtime.Device Device);

    private static List<Entry> Enumerate(Context context)
    {
        var result = new List<Entry>();
        void Add(string kind, IEnumerable<ILGPU.Runtime.Device> devices)
        {
            int i = 0;
            foreach (var d in devices)
            {
                result.Add(new Entry(DeviceDescriptions.Describe(kind, i, d), d));
                i++;
            }
        }

        Add("cuda", Collect(context.GetCudaDevices()));
        Add("opencl", Collect(context.GetCLDevices()));
        Add("cpu", Collect(context.GetCPUDevices()));
        return result;
    }

    private static List<ILGPU.Runtime.Device> Collect<T>(Context.DeviceCollection<T> devices)
        where T : ILGPU.Runtime.Device
    {
        var list = new List<ILGPU.Runtime.Device>();
        foreach (var d in devices) list.Add(d);
        return list;
    }

    private static Entry PickDefault(List<Entry> available) =>
        available.FirstOrDefault() ?? throw new InvalidOperationException("No ILGPU device is present.");

    private static Entry Find(List<Entry> available, List<RefusedDevice> refused, string name)
    {
        var spec = name.Trim().ToLowerInvariant();
        var parts = spec.Split(':', 2);
        var kind = parts[0];
        int index = 0;
        if (parts.Length == 2 && !int.TryParse(parts[1], out index))
            throw new ArgumentException($"Device name '{name}' is malformed: expected KIND or KIND:INDEX, e.g. 'cuda:0'. Present: {Describe(available, refused)}.");
        var match = available.Where(e => e.Info.Kind == kind).ElementAtOrDefault(index);
        return match ?? throw new ArgumentException(
            $"Device '{name}' is not present. Present: {Describe(available, refused)}.");
    }

    private static string Describe(List<Entry> available, List<RefusedDevice> refused)
    {
        string present = available.Count == 0 ? "none" : string.Join(", ", available.Select(e => $"{e.Info.Id} ({e.Info.Name})"));
        return refused.Count == 0 ? present : $"{present}. Found but refused: {string.Join("; ", refused)}";
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using ILGPU.Runtime;

namespace IlgpuSnn.Runtime;

/// <summary>
/// Counts what a device does that costs a round trip or a launch: kernel launches (every kernel goes through the
/// device's kernel cache) and the one-time loads of kernels, host synchronisations (every wait of the host for the device: a read of device memory into
/// host memory or <see cref="Device.Synchronize"/>) and uploads of host memory. A training iteration that is ready for a
/// GPU launches kernels and synchronises zero times; reset the counters to measure a region.
/// </summary>
public sealed class DeviceActivity
{
    private long launches;
    private long synchronizations;
    private long uploads;
    private long handOffs;
    private long kernelLoads;
    private long kernelLoadTicks;
    private readonly ConcurrentDictionary<string, KernelTime> profile = new();
    private volatile bool profileKernels;

    /// <summary>Kernels launched since the last <see cref="Reset"/>.</summary>
    public long KernelLaunches => Interlocked.Read(ref launches);

    /// <summary>Times the host waited for the device (reads to the host and explicit synchronisations).</summary>
    public long HostSynchronizations => Interlocked.Read(ref synchronizations);

    /// <summary>
    /// ILGPU launches on the CPU accelerator, each a hand-off to its worker threads and a wait for them: a batch of
    /// recorded kernels (<see cref="HostLaunchQueue"/>) is one, a kernel launched on its own another; 0 on GPUs.
    /// </summary>
    public long HostHandOffs => Interlocked.Read(ref handOffs);

    /// <summary>Copies of host memory to the device (they do not wait for queued kernels).</summary>
    public long HostUploads => Interlocked.Read(ref uploads);

    /// <summary>Kernels loaded (compiled by ILGPU for this device) since the last <see cref="Reset"/>; each kernel is loaded once per device.</summary>
    public long KernelLoads => Interlocked.Read(ref kernelLoads);

    /// <summary>Wall time spent loading those kernels (ILGPU's compilation and the launcher's creation, on the thread that first needed each).</summary>
    public TimeSpan KernelLoadTime => TimeSpan.FromTicks(Interlocked.Read(ref kernelLoadTicks));

    /// <summary>
    /// Whether every launch waits for the device and adds its time to its kernel's entry in <see cref="KernelProfile"/>
    /// (off by default: the wait serialises the device, so switch it on only to see where an iteration's time goes; on the
    /// CPU accelerator launches wait anyway and the times include ILGPU's hand-off to its worker threads).
    /// </summary>
    public bool ProfileKernels
    {
        get => profileKernels;
        set => profileKernels = value;
    }

    /// <summary>Launches and summed wall time per kernel since the last <see cref="Reset"/>, most time first.</summary>
    /// <returns>One entry per kernel launched while <see cref="ProfileKernels"/> was on.</returns>
    public IReadOnlyList<KernelTime> KernelProfile() =>
        [.. profile.Values.OrderByDescending(k => k.Seconds)];

    /// <summary>Sets every counter to zero and empties the kernel profile.</summary>
    public void Reset()
    {
        profile.Clear();
        Interlocked.Exchange(ref launches, 0);
        Interlocked.Exchange(ref synchronizations, 0);
        Interlocked.Exchange(ref uploads, 0);
        Interlocked.Exchange(ref handOffs, 0);
        Interlocked.Exchange(ref kernelLoads, 0);
        Interlocked.Exchange(ref kernelLoadTicks, 0);
    }

    /// <summary>Counts a launch; returns its start time when profiling (0 otherwise).</summary>
    internal long Launched()
    {
        Interlocked.Increment(ref launches);
        return profileKernels ? Stopwatch.GetTimestamp() : 0;
    }

    /// <summary>When profiling, waits for the launch and adds its time to the kernel's entry.</summary>
    internal void Completed(MethodInfo kernel, long started, Accelerator accelerator)
    {
        if (!profileKernels || started == 0) return;
        accelerator.Synchronize();
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        string name = $"{kernel.DeclaringType?.Name}.{kernel.Name}";
        profile.AddOrUpdate(name, _ => new KernelTime(name, 1, seconds), (_, k) => k with { Launches = k.Launches + 1, Seconds = k.Seconds + seconds });
    }

    internal void KernelLoaded(double seconds)
    {
        Interlocked.Increment(ref kernelLoads);
        Interlocked.Add(ref kernelLoadTicks, TimeSpan.FromSeconds(seconds).Ticks);
    }

    internal void Synchronized() => Interlocked.Increment(ref synchronizations);

    internal void Uploaded() => Interlocked.Increment(ref uploads);

    internal void HandedOff() => Interlocked.Increment(ref handOffs);
}

/// <summary>One kernel's entry in <see cref="DeviceActivity.KernelProfile"/>.</summary>
/// <param name="Kernel">The kernel's class and method name.</param>
/// <param name="Launches">Launches since the profile was reset.</param>
/// <param name="Seconds">Their summed wall time, launch to completion.</param>
public sealed record KernelTime(string Kernel, long Launches, double Seconds);

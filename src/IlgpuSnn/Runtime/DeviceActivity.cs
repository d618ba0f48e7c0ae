namespace IlgpuSnn.Runtime;

/// <summary>
/// Counts what a device does that costs a round trip or a launch: kernel launches (every kernel goes through the
/// device's kernel cache), host synchronisations (every wait of the host for the device: a read of device memory into
/// host memory or <see cref="Device.Synchronize"/>) and uploads of host memory. A training iteration that is ready for a
/// GPU launches kernels and synchronises zero times; reset the counters to measure a region.
/// </summary>
public sealed class DeviceActivity
{
    private long launches;
    private long synchronizations;
    private long uploads;

    /// <summary>Kernels launched since the last <see cref="Reset"/>.</summary>
    public long KernelLaunches => Interlocked.Read(ref launches);

    /// <summary>Times the host waited for the device (reads to the host and explicit synchronisations).</summary>
    public long HostSynchronizations => Interlocked.Read(ref synchronizations);

    /// <summary>Copies of host memory to the device (they do not wait for queued kernels).</summary>
    public long HostUploads => Interlocked.Read(ref uploads);

    /// <summary>Sets every counter to zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref launches, 0);
        Interlocked.Exchange(ref synchronizations, 0);
        Interlocked.Exchange(ref uploads, 0);
    }

    internal void Launched() => Interlocked.Increment(ref launches);

    internal void Synchronized() => Interlocked.Increment(ref synchronizations);

    internal void Uploaded() => Interlocked.Increment(ref uploads);
}

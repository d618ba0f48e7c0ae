using System.Diagnostics;
using System.Runtime.InteropServices;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The clock of the GEMM diagnostics (<see cref="GemmProfile"/>, <see cref="SpikeGemmProfile"/>): on Linux the calling
/// thread's CPU time (clock_gettime CLOCK_THREAD_CPUTIME_ID), so that a worker's share counts the work it did and not
/// the time another process held its core (the shared 2-core machines run several builds at once); elsewhere wall time.
/// </summary>
internal static partial class WorkerClock
{
    private const int ThreadCpuTime = 3;

    private static readonly bool ThreadCpu = OperatingSystem.IsLinux() && TryThreadCpu(out _);

    /// <summary>Seconds on the clock (an arbitrary origin): subtract two readings of the same thread.</summary>
    public static double Seconds() => ThreadCpu && TryThreadCpu(out double s) ? s : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    private static bool TryThreadCpu(out double seconds)
    {
        seconds = 0;
        try
        {
            if (ClockGetTime(ThreadCpuTime, out var t) != 0) return false;
            seconds = t.Seconds + t.Nanoseconds * 1e-9;
            return true;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc.so.6", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}

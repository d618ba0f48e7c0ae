using IlgpuSnn.Kernels;

namespace IlgpuSnn.Tests.Dense;

public sealed class WorkerClockTests
{
    [Fact]
    public void Counts_the_thread_cpu_time_on_linux_not_a_sleep()
    {
        // The GEMM profiles' clock: on Linux a worker's CPU time, so a thread that sleeps (or waits for its core) adds
        // next to nothing, while a busy loop adds about its duration.
        if (!OperatingSystem.IsLinux()) Assert.Skip("the thread CPU clock is read through glibc's clock_gettime on Linux only");
        double start = WorkerClock.Seconds();
        Thread.Sleep(300);
        double slept = WorkerClock.Seconds() - start;
        start = WorkerClock.Seconds();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        double sink = 0;
        while (watch.Elapsed.TotalMilliseconds < 100) sink += Math.Sqrt(sink + 1);
        double busy = WorkerClock.Seconds() - start;
        Assert.True(slept < 0.05, $"a 300 ms sleep counted {slept * 1e3:F1} ms");
        Assert.True(busy > 0.005 && sink > 0, $"a 100 ms busy loop counted {busy * 1e3:F1} ms");
    }
}

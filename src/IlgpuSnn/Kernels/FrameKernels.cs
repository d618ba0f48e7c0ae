using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Kernels;

/// <summary>
/// The event-to-frame integration kernel and the frame transpose of the event datasets' frame encoder. Integration gives each
/// (sample, frame) to one thread, which adds the frame's events (a contiguous index range, since events are in time
/// order) to its own output frame: no two threads write the same element, so no atomics are needed and the result does
/// not depend on the schedule.
/// </summary>
internal static class FrameKernels
{
    /// <summary>
    /// How a sample's events are split into frames, with the values of <c>Data.Events.FrameSplit</c> (a test pins the
    /// correspondence): equal event counts, equal time spans, or windows of a fixed duration.
    /// </summary>
    internal const int SplitByCount = 0, SplitByTime = 1, SplitByDuration = 2;

    /// <summary>Adds the events of every sample to its frames.</summary>
    /// <param name="device">Where the kernel runs.</param>
    /// <param name="times">Event times (µs) of all samples, concatenated; non-decreasing within a sample.</param>
    /// <param name="packed">Events, (x &lt;&lt; 16) | (y &lt;&lt; 1) | p.</param>
    /// <param name="offsets">Sample s owns events [offsets[s], offsets[s + 1]).</param>
    /// <param name="frames">The output, zeroed: [samples, frameCount, 2, output.Y, output.X].</param>
    /// <param name="frameCount">Frames per sample M.</param>
    /// <param name="split">The split rule: <see cref="SplitByCount"/>, <see cref="SplitByTime"/> or <see cref="SplitByDuration"/>.</param>
    /// <param name="duration">The frame length (µs) for <see cref="SplitByDuration"/>.</param>
    /// <param name="sensor">Sensor (width, height).</param>
    /// <param name="output">Frame (width, height).</param>
    public static void Integrate(Device device, ArrayView<long> times, ArrayView<int> packed, ArrayView<int> offsets, ArrayView<float> frames,
        int frameCount, int split, long duration, Index2D sensor, Index2D output)
    {
        long items = (offsets.Length - 1) * frameCount;
        if (items <= 0) return;
        device.Kernels.Load<ArrayView<long>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, long, Index2D, Index2D>(IntegrateKernel)(
            device.Launch.GridStride(items), times, packed, offsets, frames, frameCount, split, duration, sensor, output);
    }

    [Kernel]
    internal static void IntegrateKernel(ArrayView<long> times, ArrayView<int> packed, ArrayView<int> offsets, ArrayView<float> frames,
        int frameCount, int split, long duration, Index2D sensor, Index2D output)
    {
        long items = (offsets.Length - 1) * frameCount;
        long frameSize = 2L * output.X * output.Y;
        foreach (long k in GridStride.Over(items))
        {
            long s = k / frameCount;
            int j = (int)(k - s * frameCount);
            int lo = offsets[s], hi = offsets[s + 1], n = hi - lo;
            if (n == 0) continue;
            bool last = j == frameCount - 1;
            int a, b;
            if (split == SplitByCount)
            {
                int per = n / frameCount;
                a = lo + per * j;
                b = last ? hi : a + per;
            }
            else
            {
                long t0 = times[lo];
                long step = split == SplitByTime ? (times[hi - 1] - t0) / frameCount : duration;
                a = LowerBound(times, lo, hi, t0 + step * j);
                b = last && split == SplitByTime ? hi : LowerBound(times, lo, hi, t0 + step * (j + 1));
            }
            long frame = k * frameSize;
            for (int i = a; i < b; i++)
            {
                int e = packed[i];
                int x = (e >> 16) * output.X / sensor.X;
                int y = ((e >> 1) & 0x7FFF) * output.Y / sensor.Y;
                frames[frame + ((long)(e & 1) * output.Y + y) * output.X + x] += 1f;
            }
        }
    }

    /// <summary>The first index in [lo, hi) whose time is at least <paramref name="t"/> (hi when none).</summary>
    private static int LowerBound(ArrayView<long> times, int lo, int hi, long t)
    {
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (times[mid] < t) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>y[t, b, r] = x[b, t, r] for r in [0, perFrame): [B, T·perFrame] samples become T steps of [B, perFrame].</summary>
    public static void TimeFirst(Device device, ArrayView<float> x, ArrayView<float> y, int batch, int steps, long perFrame)
    {
        if (y.Length == 0) return;
        device.Kernels.Load<ArrayView<float>, ArrayView<float>, int, int, long>(TimeFirstKernel)(device.Launch.GridStride(y.Length), x, y, batch, steps, perFrame);
    }

    [Kernel]
    internal static void TimeFirstKernel(ArrayView<float> x, ArrayView<float> y, int batch, int steps, long perFrame)
    {
        foreach (long i in GridStride.Over(y.Length))
        {
            long r = i % perFrame;
            long tb = i / perFrame;
            long b = tb % batch;
            long t = tb / batch;
            y[i] = x[(b * steps + t) * perFrame + r];
        }
    }
}

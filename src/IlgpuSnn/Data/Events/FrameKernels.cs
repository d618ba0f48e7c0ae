using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data.Events;

/// <summary>The event-to-frame integration kernel.</summary>
internal static class FrameKernels
{
    /// <summary>
    /// Adds every event to counts[((frame·2 + p)·Height + y')·Width + x'] (one atomic add per event). Events are packed
    /// as (x &lt;&lt; 16) | (y &lt;&lt; 1) | p.
    /// </summary>
    /// <param name="device">Where the kernel runs.</param>
    /// <param name="times">Event times (µs), non-decreasing.</param>
    /// <param name="packed">Events, (x &lt;&lt; 16) | (y &lt;&lt; 1) | p.</param>
    /// <param name="counts">The frames, zeroed: [frames, 2, output.Y, output.X].</param>
    /// <param name="frames">Frames M.</param>
    /// <param name="split">The split rule.</param>
    /// <param name="step">Events per frame (count), ΔT (time) or the duration (duration); 0 puts every event in the last frame.</param>
    /// <param name="sensor">Sensor (width, height).</param>
    /// <param name="output">Frame (width, height).</param>
    public static void Integrate(Device device, ArrayView<long> times, ArrayView<int> packed, ArrayView<int> counts, int frames, FrameSplit split, long step, Index2D sensor, Index2D output)
    {
        if (times.Length == 0) return;
        device.Kernels.Load<ArrayView<long>, ArrayView<int>, ArrayView<int>, int, int, long, Index2D, Index2D>(IntegrateKernel)(
            device.Launch.GridStride(times.Length), times, packed, counts, frames, (int)split, step, sensor, output);
    }

    [Kernel]
    internal static void IntegrateKernel(ArrayView<long> times, ArrayView<int> packed, ArrayView<int> counts, int frames, int split, long step, Index2D sensor, Index2D output)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        long start = times[0];
        for (long i = Grid.GlobalIndex.X; i < times.Length; i += stride)
        {
            long frame;
            if (step == 0) frame = frames - 1;
            else if (split == (int)FrameSplit.Count) frame = i / step;
            else frame = (times[i] - start) / step;
            if (split != (int)FrameSplit.Duration && frame > frames - 1) frame = frames - 1;
            if (frame >= frames) continue;
            int e = packed[i];
            int x = (e >> 16) * output.X / sensor.X;
            int y = ((e >> 1) & 0x7FFF) * output.Y / sensor.Y;
            long index = ((frame * 2 + (e & 1)) * output.Y + y) * output.X + x;
            Atomic.Add(ref counts[index], 1);
        }
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
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < y.Length; i += stride)
        {
            long r = i % perFrame;
            long tb = i / perFrame;
            long b = tb % batch;
            long t = tb / batch;
            y[i] = x[(b * steps + t) * perFrame + r];
        }
    }
}

using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data.Events;

/// <summary>Where a frame-integration launch puts events: the split rule's numbers and the two pixel grids.</summary>
internal struct FrameGeometry
{
    /// <summary>Frames M.</summary>
    public int Frames;

    /// <summary>The split rule (a <see cref="FrameSplit"/> value).</summary>
    public int Split;

    /// <summary>Time of the first event.</summary>
    public long Start;

    /// <summary>Events per frame (count), ΔT (time) or the duration (duration); 0 puts every event in the last frame.</summary>
    public long Step;

    public int SensorWidth, SensorHeight, Width, Height;
}

/// <summary>The event-to-frame integration kernel.</summary>
internal static class FrameKernels
{
    /// <summary>
    /// Adds every event to counts[((frame·2 + p)·Height + y')·Width + x'] (one atomic add per event). Events are packed
    /// as (x &lt;&lt; 16) | (y &lt;&lt; 1) | p.
    /// </summary>
    public static void Integrate(Device device, ArrayView<long> times, ArrayView<int> packed, ArrayView<int> counts, FrameGeometry geometry)
    {
        if (times.Length == 0) return;
        device.Kernels.Load<ArrayView<long>, ArrayView<int>, ArrayView<int>, FrameGeometry>(IntegrateKernel)(
            device.Launch.GridStride(times.Length), times, packed, counts, geometry);
    }

    [Kernel]
    internal static void IntegrateKernel(ArrayView<long> times, ArrayView<int> packed, ArrayView<int> counts, FrameGeometry g)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = Grid.GlobalIndex.X; i < times.Length; i += stride)
        {
            long frame;
            if (g.Split == (int)FrameSplit.Count) frame = g.Step == 0 ? g.Frames - 1 : i / g.Step;
            else frame = g.Step == 0 ? g.Frames - 1 : (times[i] - g.Start) / g.Step;
            if (g.Split != (int)FrameSplit.Duration && frame > g.Frames - 1) frame = g.Frames - 1;
            if (frame >= g.Frames) continue;
            int e = packed[i];
            int x = (e >> 16) * g.Width / g.SensorWidth;
            int y = ((e >> 1) & 0x7FFF) * g.Height / g.SensorHeight;
            long index = ((frame * 2 + (e & 1)) * g.Height + y) * g.Width + x;
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

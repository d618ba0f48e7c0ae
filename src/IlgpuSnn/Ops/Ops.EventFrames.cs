using ILGPU;
using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>Event-camera frames: integration of events into frames and the frame transpose (no graph: inputs are data).</summary>
public static partial class Ops
{
    /// <summary>Adds the events of every sample to its frames (see <see cref="FrameKernels.Integrate"/>).</summary>
    /// <param name="device">Where the kernel runs.</param>
    /// <param name="times">Event times (µs) of all samples, concatenated; non-decreasing within a sample.</param>
    /// <param name="packed">Events, (x &lt;&lt; 16) | (y &lt;&lt; 1) | p.</param>
    /// <param name="offsets">Sample s owns events [offsets[s], offsets[s + 1]).</param>
    /// <param name="frames">The output, zeroed: [samples, frameCount, 2, output.Y, output.X].</param>
    /// <param name="frameCount">Frames per sample.</param>
    /// <param name="split">The split rule, the value of <c>Data.Events.FrameSplit</c>.</param>
    /// <param name="duration">The frame length (µs) of the fixed-duration split.</param>
    /// <param name="sensor">Sensor (width, height).</param>
    /// <param name="output">Frame (width, height).</param>
    internal static void IntegrateEventFrames(Device device, ArrayView<long> times, ArrayView<int> packed, ArrayView<int> offsets,
        ArrayView<float> frames, int frameCount, int split, long duration, Index2D sensor, Index2D output) =>
        FrameKernels.Integrate(device, times, packed, offsets, frames, frameCount, split, duration, sensor, output);

    /// <summary>
    /// y[t, b, r] = x[b, t, r] for r in [0, <paramref name="perFrame"/>): <paramref name="x"/> holds
    /// <paramref name="batch"/> samples of <paramref name="steps"/> frames, <paramref name="y"/> receives the time axis first.
    /// </summary>
    internal static void FramesTimeFirst(Tensor x, Tensor y, int batch, int steps, long perFrame) =>
        FrameKernels.TimeFirst(x.Device, x.View, y.View, batch, steps, perFrame);
}

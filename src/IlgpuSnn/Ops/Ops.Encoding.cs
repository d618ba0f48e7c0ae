using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>Spike encodings of images over time (no graph: inputs are data).</summary>
public static partial class Ops
{
    /// <summary>Writes <paramref name="images"/> into every time step of <paramref name="output"/> [T, ...].</summary>
    internal static void RepeatOverTime(Tensor images, Tensor output) =>
        EncoderKernels.Repeat(images.Device, images.View, output.View);

    /// <summary>Writes Poisson (Bernoulli per step) spikes of the clamped intensities into <paramref name="output"/> [T, ...].</summary>
    internal static void PoissonSpikes(Tensor images, Tensor output, ulong seed) =>
        EncoderKernels.Poisson(images.Device, images.View, output.View, seed);
}

using IlgpuSnn.Kernels;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data;

/// <summary>
/// Poisson (rate) encoding: at each step every element spikes (1) with probability equal to its intensity clamped to
/// [0, 1], independently per (step, element). The randomness is a counter-based integer hash of (seed, step, element)
/// computed in the kernel, so a seed gives the same spikes on every device and in every run.
/// </summary>
public sealed class PoissonEncoder : IEncoder
{
    /// <summary>Returns [T, ...images.Shape] of 0/1 spikes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeSteps"/> is not positive.</exception>
    public Tensor Encode(Tensor images, int timeSteps, ulong seed)
    {
        var output = EncoderShapes.Allocate("PoissonEncoder.Encode", images, timeSteps);
        EncoderKernels.Poisson(images.Device, images.View, output.View, seed);
        return output;
    }
}

using IlgpuSnn.Runtime;

namespace IlgpuSnn.Data;

/// <summary>
/// Poisson (rate) encoding: at each step every element spikes (1) with probability equal to its intensity clamped to
/// [0, 1], independently per (step, element). The randomness is a counter-based integer hash of (seed, step, element)
/// computed in the kernel, so a seed gives the same spikes on every device and in every run.
/// </summary>
/// <remarks>
/// Exactly: with <c>mix</c> the SplitMix64 output function (add 0x9E3779B97F4A7C15, then xor-shift-multiply by
/// 0xBF58476D1CE4E5B9 and 0x94D049BB133111EB with shifts 30, 27, 31), <c>h = mix(mix(seed ^ mix(t)) ^ e)</c> for step
/// <c>t</c> and flat element index <c>e</c> of the input; the element spikes when <c>(h &gt;&gt; 40) / 2^24</c> is below
/// the clamped intensity.
/// </remarks>
public sealed class PoissonEncoder : IEncoder
{
    /// <summary>Returns [T, ...images.Shape] of 0/1 spikes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeSteps"/> is not positive.</exception>
    public Tensor Encode(Tensor images, int timeSteps, ulong seed)
    {
        var output = EncoderShapes.Allocate("PoissonEncoder.Encode", images, timeSteps);
        Ops.PoissonSpikes(images, output, seed);
        return output;
    }
}

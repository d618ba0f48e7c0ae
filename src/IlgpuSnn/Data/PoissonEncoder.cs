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
    /// <param name="images">The batch [B, ...sample shape]; each intensity, clamped to [0, 1], is the spike probability per step.</param>
    /// <param name="timeSteps">Number of time steps T; must be positive.</param>
    /// <param name="seed">Seed of the random draws; the same seed gives the same spikes.</param>
    /// <returns>A new tensor [T, B, ...sample shape] of 0/1 spikes that the caller owns.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeSteps"/> is not positive.</exception>
    public Tensor Encode(Tensor images, int timeSteps, ulong seed)
    {
        var output = EncoderShapes.Allocate("PoissonEncoder.Encode", images, timeSteps);
        Ops.PoissonSpikes(images, output, seed);
        return output;
    }
}

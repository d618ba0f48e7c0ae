using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>
/// The running state of RateBP's spike pass for one neuron layer: potential v, eligibility recursion e (starting at 1),
/// Σ s[t] and Σ σ'[t]·e[t]. Its tensors live outside any scope until it is disposed.
/// </summary>
public sealed class RateAccumulator : IDisposable
{
    /// <summary>Creates the state for neurons of the given shape, at the start of a sequence.</summary>
    /// <param name="device">Where the state lives.</param>
    /// <param name="shape">Shape of one step of the layer's input, [B, ...].</param>
    public RateAccumulator(Device device, int[] shape)
    {
        using (TensorScope.Suspend())
        {
            Potential = Tensor.Zeros(device, shape);
            Recursion = Tensor.Full(device, 1f, shape);
            SpikeSum = Tensor.Zeros(device, shape);
            EligibilitySum = Tensor.Zeros(device, shape);
        }
    }

    /// <summary>Post-reset potential v.</summary>
    public Tensor Potential { get; }

    /// <summary>The eligibility recursion e[t].</summary>
    public Tensor Recursion { get; }

    /// <summary>Σ s[t].</summary>
    public Tensor SpikeSum { get; }

    /// <summary>Σ σ'[t]·e[t].</summary>
    public Tensor EligibilitySum { get; }

    /// <summary>Steps accumulated so far.</summary>
    public int Steps { get; internal set; }

    /// <summary>The firing rate r = Σ s[t] / T (a new tensor).</summary>
    /// <returns>A new tensor: the spike sum divided by the number of steps.</returns>
    public Tensor Rate() => Ops.Scale(SpikeSum, 1f / Math.Max(Steps, 1));

    /// <summary>The eligibility Σ σ'[t]·e[t] / T (a new tensor).</summary>
    /// <returns>A new tensor: the eligibility sum divided by the number of steps.</returns>
    public Tensor Eligibility() => Ops.Scale(EligibilitySum, 1f / Math.Max(Steps, 1));

    /// <summary>Frees the state.</summary>
    public void Dispose()
    {
        Potential.Dispose();
        Recursion.Dispose();
        SpikeSum.Dispose();
        EligibilitySum.Dispose();
    }
}

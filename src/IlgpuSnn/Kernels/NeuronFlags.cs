namespace IlgpuSnn.Kernels;

/// <summary>
/// The flag bits of every neuron kernel (<see cref="LifKernels"/>, <see cref="LifBackwardKernels"/>,
/// <see cref="AdaptiveNeuronKernels"/>): which optional views a launch reads or writes. A view a launch does not use is
/// passed as a placeholder and never touched.
/// </summary>
internal static class NeuronFlags
{
    /// <summary>The carried state before the first step is given (zeros otherwise).</summary>
    internal const int HasState = 1;

    /// <summary>The forward saves σ' for the backward.</summary>
    internal const int SaveSurrogate = 2;

    /// <summary>The forward saves the pre-reset potential (and a two-state neuron its auxiliary state).</summary>
    internal const int SavePotential = 4;

    /// <summary>A gradient reaches the spikes.</summary>
    internal const int HasSpikeGrad = 8;

    /// <summary>A gradient reaches the post-reset state.</summary>
    internal const int HasStateGrad = 16;

    /// <summary>The backward writes the input-current gradient.</summary>
    internal const int WriteCurrentGrad = 32;

    /// <summary>The backward writes the gradient of the previous state.</summary>
    internal const int WritePreviousGrad = 64;

    /// <summary>The backward writes the per-element contributions to the neuron parameter's gradient.</summary>
    internal const int WriteParameterGrad = 128;

    /// <summary>The backward reads the saved spikes.</summary>
    internal const int ReadSpikes = 256;

    /// <summary>The backward reads the saved potential.</summary>
    internal const int ReadPotential = 512;

    /// <summary>The flags of a forward launch.</summary>
    /// <param name="hasState">The carried state is given.</param>
    /// <param name="saveSurrogate">σ' is saved.</param>
    /// <param name="savePotential">The potential is saved.</param>
    /// <returns>The combined bits.</returns>
    public static int Forward(bool hasState, bool saveSurrogate, bool savePotential) =>
        (hasState ? HasState : 0) | (saveSurrogate ? SaveSurrogate : 0) | (savePotential ? SavePotential : 0);
}

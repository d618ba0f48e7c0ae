using ILGPU;

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

    /// <summary>The layer's learnable θ is read from its one-element buffer on the device (see <see cref="Neurons.INeuronDynamics.BindParameter"/>).</summary>
    internal const int HasParameter = 1024;

    /// <summary>A SAF step writes its scaled accumulation.</summary>
    internal const int WriteOutput = 2048;

    /// <summary>A SAF step's trace is 0 (the first step): it is written, never read.</summary>
    internal const int FreshTrace = 4096;

    /// <summary>A step also writes the trace of its spikes, â = λ·â_prev + s (<see cref="NeuronElements.NextTrace"/>).</summary>
    internal const int WriteTrace = 8192;

    /// <summary>The dynamics a kernel thread runs: <paramref name="neuron"/> with θ bound when <paramref name="flags"/> say so.</summary>
    /// <typeparam name="TNeuron">The neuron struct.</typeparam>
    /// <param name="neuron">The struct the host passed.</param>
    /// <param name="parameter">The layer's θ (read only with <see cref="HasParameter"/>).</param>
    /// <param name="flags">The launch's flags.</param>
    /// <returns>The struct to run.</returns>
    internal static TNeuron Bound<TNeuron>(TNeuron neuron, ArrayView<float> parameter, int flags) where TNeuron : struct, Neurons.INeuronDynamics
    {
        TNeuron bound = neuron;
        if ((flags & HasParameter) != 0) bound.BindParameter(parameter[0]);
        return bound;
    }

    /// <summary>The host-pointer form of <see cref="Bound{TNeuron}(TNeuron, ArrayView{float}, int)"/>.</summary>
    /// <typeparam name="TNeuron">The neuron struct.</typeparam>
    /// <param name="neuron">The struct the host passed.</param>
    /// <param name="parameter">Host address of the layer's θ (read only with <see cref="HasParameter"/>).</param>
    /// <param name="flags">The launch's flags.</param>
    /// <returns>The struct to run.</returns>
    internal static unsafe TNeuron Bound<TNeuron>(TNeuron neuron, long parameter, int flags) where TNeuron : struct, Neurons.INeuronDynamics
    {
        TNeuron bound = neuron;
        if ((flags & HasParameter) != 0) bound.BindParameter(*(float*)parameter);
        return bound;
    }

    /// <summary>The flags of a forward launch.</summary>
    /// <param name="hasState">The carried state is given.</param>
    /// <param name="saveSurrogate">σ' is saved.</param>
    /// <param name="savePotential">The potential is saved.</param>
    /// <returns>The combined bits.</returns>
    public static int Forward(bool hasState, bool saveSurrogate, bool savePotential) =>
        (hasState ? HasState : 0) | (saveSurrogate ? SaveSurrogate : 0) | (savePotential ? SavePotential : 0);
}

using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Kernels;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>
/// The neuron kernels of one (neuron, surrogate) pair behind a non-generic face, so that the ops pick the
/// specialised kernels once from a <see cref="NeuronSpec"/> and then call them like any other kernel.
/// </summary>
internal interface INeuronKernelSet
{
    // Sequence, SequenceBackward, Step and StepBackward take the layer's learnable θ as a one-element buffer (null when the
    // model has none); the kernels bind it on the device (INeuronDynamics.BindParameter), so no launch waits for it.

    /// <summary>What the backward reads besides σ'.</summary>
    NeuronBackwardNeeds BackwardNeeds { get; }

    /// <summary>
    /// State variables per neuron (<see cref="NeuronModel.StateVariables"/>): the state views hold that many planes of
    /// N, and a sequence's saved potential buffer holds that many planes of [T, N] (u, then the auxiliary state).
    /// </summary>
    int StateVariables { get; }

    void Sequence(Device device, ArrayView<float> current, ArrayView<float> spikes, ArrayView<float>? surrogate,
        ArrayView<float>? potential, ArrayView<float>? state, ArrayView<float>? parameter, long n, int steps);

    void SequenceBackward(Device device, ArrayView<float> spikeGrad, ArrayView<float> surrogate, ArrayView<float>? spikes,
        ArrayView<float>? potential, ArrayView<float>? initial, ArrayView<float> currentGrad, ArrayView<float>? parameterGrad, ArrayView<float>? parameter, long n, int steps);

    void Step(Device device, ArrayView<float> current, ArrayView<float>? previousV, ArrayView<float> spikes, ArrayView<float> v,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? parameter);

    void StepBackward(Device device, ArrayView<float>? spikeGrad, ArrayView<float>? potentialGrad, ArrayView<float> surrogate,
        ArrayView<float>? spikes, ArrayView<float>? potential, ArrayView<float>? previousV, ArrayView<float>? currentGrad,
        ArrayView<float>? previousGrad, ArrayView<float>? parameterGrad, ArrayView<float>? parameter);

    void RateStatistics(Device device, ArrayView<float> current, ArrayView<float> spikes, ArrayView<float> potential,
        ArrayView<float> recursion, ArrayView<float> spikeSum, ArrayView<float> eligibilitySum, long n, int steps);

    void SafStep(Device device, ArrayView<float> accumulated, ArrayView<float> trace, ArrayView<float> spikes,
        ArrayView<float>? output, ArrayView<float>? surrogate, float decay, float threshold, SafScales scales, bool freshTrace);
}

/// <summary>
/// A kernel set whose sequence forward can take BatchNorm's x and normalise it per channel as it reads it (see
/// <see cref="ChannelNormalization"/>): the one-state neurons. The backward is the plain sequence backward (it yields
/// the gradient of the normalised current).
/// </summary>
internal interface INormalizingNeuronKernels : INeuronKernelSet
{
    // INeuronKernelSet.Sequence whose current is the normalisation of x by the table [4, C].
    void NormalizedSequence(Device device, ArrayView<float> x, ArrayView<float> table, ChannelNormalization normalization, ArrayView<float> spikes,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? state, ArrayView<float>? parameter, long n, int steps);
}

/// <summary>
/// A kernel set whose step can also write the presynaptic trace of its spikes in the same launch (see
/// <see cref="NeuronTrace"/>): the one-state neurons. Other sets step, and the op extends the trace in a second launch.
/// </summary>
internal interface ITracingNeuronKernels : INeuronKernelSet
{
    // INeuronKernelSet.Step that also writes trace = decay·previousTrace + s.
    void TracedStep(Device device, ArrayView<float> current, ArrayView<float>? previousV, ArrayView<float> spikes, ArrayView<float> v,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? parameter, ArrayView<float> previousTrace, ArrayView<float> trace, float decay);
}

/// <summary>Builds the kernel set of a spec's neuron and surrogate structs.</summary>
internal sealed class NeuronKernelSetFactory : INeuronVisitor<INeuronKernelSet>
{
    private static readonly NeuronKernelSetFactory Instance = new();

    /// <summary>
    /// The kernels of <paramref name="spec"/>; a model's learnable θ is not part of the struct they are built with but
    /// passed to each launch as a one-element buffer the kernels read on the device.
    /// </summary>
    public static INeuronKernelSet For(NeuronSpec spec) => spec.Model.Accept(Instance, spec);

    public INeuronKernelSet Visit<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate)
        where TNeuron : struct, INeuronDynamics
        where TSurrogate : struct, ISurrogateGradient =>
        new NeuronKernelSet<TNeuron, TSurrogate>(neuron, surrogate);

    public INeuronKernelSet VisitAdaptive<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate)
        where TNeuron : struct, IAdaptiveNeuronDynamics
        where TSurrogate : struct, ISurrogateGradient =>
        new AdaptiveNeuronKernelSet<TNeuron, TSurrogate>(neuron, surrogate);
}

/// <summary>The kernels specialised for <typeparamref name="TNeuron"/> and <typeparamref name="TSurrogate"/>.</summary>
internal sealed class NeuronKernelSet<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogateFunction) : INormalizingNeuronKernels, ITracingNeuronKernels
    where TNeuron : struct, INeuronDynamics
    where TSurrogate : struct, ISurrogateGradient
{
    public NeuronBackwardNeeds BackwardNeeds => neuron.BackwardNeeds;

    public int StateVariables => 1;

    public void Sequence(Device device, ArrayView<float> current, ArrayView<float> spikes, ArrayView<float>? surrogate,
        ArrayView<float>? potential, ArrayView<float>? state, ArrayView<float>? parameter, long n, int steps) =>
        LifKernels.Sequence(device, current, spikes, surrogate, potential, state, parameter, n, steps, neuron, surrogateFunction);

    public void NormalizedSequence(Device device, ArrayView<float> x, ArrayView<float> table, ChannelNormalization normalization, ArrayView<float> spikes,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? state, ArrayView<float>? parameter, long n, int steps) =>
        LifKernels.Sequence(device, x, spikes, surrogate, potential, state, parameter, n, steps, neuron, surrogateFunction, table, normalization);

    public void SequenceBackward(Device device, ArrayView<float> spikeGrad, ArrayView<float> surrogate, ArrayView<float>? spikes,
        ArrayView<float>? potential, ArrayView<float>? initial, ArrayView<float> currentGrad, ArrayView<float>? parameterGrad, ArrayView<float>? parameter, long n, int steps) =>
        LifBackwardKernels.Sequence(device, spikeGrad, surrogate, spikes, potential, initial, currentGrad, parameterGrad, parameter, n, steps, neuron);

    public void Step(Device device, ArrayView<float> current, ArrayView<float>? previousV, ArrayView<float> spikes, ArrayView<float> v,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? parameter) =>
        LifKernels.Step(device, current, previousV, spikes, v, surrogate, potential, parameter, neuron, surrogateFunction);

    public void TracedStep(Device device, ArrayView<float> current, ArrayView<float>? previousV, ArrayView<float> spikes, ArrayView<float> v,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? parameter, ArrayView<float> previousTrace, ArrayView<float> trace, float decay) =>
        LifKernels.Step(device, current, previousV, spikes, v, surrogate, potential, parameter, neuron, surrogateFunction, previousTrace, trace, decay);

    public void StepBackward(Device device, ArrayView<float>? spikeGrad, ArrayView<float>? potentialGrad, ArrayView<float> surrogate,
        ArrayView<float>? spikes, ArrayView<float>? potential, ArrayView<float>? previousV, ArrayView<float>? currentGrad,
        ArrayView<float>? previousGrad, ArrayView<float>? parameterGrad, ArrayView<float>? parameter) =>
        LifBackwardKernels.Step(device, spikeGrad, potentialGrad, surrogate, spikes, potential, previousV, currentGrad, previousGrad, parameterGrad, parameter, neuron);

    public void RateStatistics(Device device, ArrayView<float> current, ArrayView<float> spikes, ArrayView<float> potential,
        ArrayView<float> recursion, ArrayView<float> spikeSum, ArrayView<float> eligibilitySum, long n, int steps) =>
        LifKernels.RateStatistics(device, current, spikes, potential, recursion, spikeSum, eligibilitySum, n, steps, neuron, surrogateFunction);

    public void SafStep(Device device, ArrayView<float> accumulated, ArrayView<float> trace, ArrayView<float> spikes,
        ArrayView<float>? output, ArrayView<float>? surrogate, float decay, float threshold, SafScales scales, bool freshTrace) =>
        LifKernels.SafStep(device, accumulated, trace, spikes, output, surrogate, decay, threshold, scales, surrogateFunction, freshTrace);
}

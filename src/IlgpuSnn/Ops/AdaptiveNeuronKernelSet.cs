using ILGPU;
using ILGPU.Runtime;
using IlgpuSnn.Kernels;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>
/// The kernels of a two-state neuron (<see cref="IAdaptiveNeuronDynamics"/>) behind <see cref="INeuronKernelSet"/>:
/// the state views are [2, N] (v, a), the saved potential of a sequence is [2, T, N] (u, a), the backward always reads
/// it, and there is no learnable parameter, rate pass or SAF step (the layer and the ops refuse those first).
/// </summary>
internal sealed class AdaptiveNeuronKernelSet<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogateFunction) : INeuronKernelSet
    where TNeuron : struct, IAdaptiveNeuronDynamics
    where TSurrogate : struct, ISurrogateGradient
{
    public NeuronBackwardNeeds BackwardNeeds => NeuronBackwardNeeds.Potential;

    public int StateVariables => 2;

    public void Sequence(Device device, ArrayView<float> current, ArrayView<float> spikes, ArrayView<float>? surrogate,
        ArrayView<float>? potential, ArrayView<float>? state, ArrayView<float>? parameter, long n, int steps) =>
        AdaptiveNeuronKernels.Sequence(device, current, spikes, surrogate, potential, state, n, steps, neuron, surrogateFunction);

    public void SequenceBackward(Device device, ArrayView<float> spikeGrad, ArrayView<float> surrogate, ArrayView<float>? spikes,
        ArrayView<float>? potential, ArrayView<float>? initial, ArrayView<float> currentGrad, ArrayView<float>? parameterGrad, ArrayView<float>? parameter, long n, int steps) =>
        AdaptiveNeuronKernels.SequenceBackward(device, spikeGrad, surrogate, potential!.Value, initial, currentGrad, n, steps, neuron);

    public void Step(Device device, ArrayView<float> current, ArrayView<float>? previousV, ArrayView<float> spikes, ArrayView<float> v,
        ArrayView<float>? surrogate, ArrayView<float>? potential, ArrayView<float>? parameter) =>
        AdaptiveNeuronKernels.Step(device, current, previousV, spikes, v, surrogate, potential, neuron, surrogateFunction);

    public void StepBackward(Device device, ArrayView<float>? spikeGrad, ArrayView<float>? potentialGrad, ArrayView<float> surrogate,
        ArrayView<float>? spikes, ArrayView<float>? potential, ArrayView<float>? previousV, ArrayView<float>? currentGrad,
        ArrayView<float>? previousGrad, ArrayView<float>? parameterGrad, ArrayView<float>? parameter) =>
        AdaptiveNeuronKernels.StepBackward(device, spikeGrad, potentialGrad, surrogate, potential!.Value, previousV, currentGrad, previousGrad, neuron);

    public void RateStatistics(Device device, ArrayView<float> current, ArrayView<float> spikes, ArrayView<float> potential,
        ArrayView<float> recursion, ArrayView<float> spikeSum, ArrayView<float> eligibilitySum, long n, int steps) =>
        throw new NotSupportedException("RateBP's rate recursion is not the gradient of a two-state neuron.");

    public void SafStep(Device device, ArrayView<float> accumulated, ArrayView<float> trace, ArrayView<float> spikes,
        ArrayView<float>? output, ArrayView<float>? surrogate, float decay, float threshold, SafScales scales, bool freshTrace) =>
        throw new NotSupportedException("SAF's accumulation identity needs a one-state linear-leak neuron.");
}

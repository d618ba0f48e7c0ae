namespace IlgpuSnn.Neurons;

/// <summary>
/// Receives a neuron's and a surrogate's device structs with their static types, so that the caller (the neuron ops)
/// can launch the kernels compiled for exactly those types.
/// </summary>
/// <typeparam name="TResult">What a visit returns.</typeparam>
internal interface INeuronVisitor<out TResult>
{
    TResult Visit<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate)
        where TNeuron : struct, INeuronDynamics
        where TSurrogate : struct, ISurrogateGradient;

    TResult VisitAdaptive<TNeuron, TSurrogate>(TNeuron neuron, TSurrogate surrogate)
        where TNeuron : struct, IAdaptiveNeuronDynamics
        where TSurrogate : struct, ISurrogateGradient;
}

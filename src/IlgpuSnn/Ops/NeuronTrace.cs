using IlgpuSnn.Runtime;

namespace IlgpuSnn;

/// <summary>
/// The optional trace operand of a neuron step: the step also writes <see cref="Next"/> = <see cref="Decay"/>·<see cref="Previous"/> + s
/// of its spikes s, in the same launch where the neuron's kernels can (<see cref="ITracingNeuronKernels"/>), with the float
/// operations of <see cref="Ops.NextTrace"/>. No graph: the trace is a constant for the tape.
/// </summary>
/// <param name="Previous">â[t−1], shaped like the step's current.</param>
/// <param name="Next">Where â[t] is written, shaped like the step's current (the caller owns it).</param>
/// <param name="Decay">λ.</param>
internal readonly record struct NeuronTrace(Tensor Previous, Tensor Next, float Decay);

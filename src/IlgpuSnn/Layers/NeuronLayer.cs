using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A layer of LIF (or IF) neurons. It owns the neuron state between calls and forgets it at every new sequence.
/// <see cref="Forward"/> runs the fused multi-step kernel over the folded time steps (the carried-over state enters as a
/// constant); <see cref="Step"/> runs one differentiable step. What a training method adds (traces, accumulations,
/// rates) lives in that method's adapter.
/// </summary>
public sealed class NeuronLayer : Layer
{
    private Tensor? membrane;

    /// <summary>Creates a neuron layer with the given dynamics.</summary>
    /// <param name="spec">Neuron dynamics.</param>
    /// <exception cref="ArgumentNullException"><paramref name="spec"/> is null.</exception>
    public NeuronLayer(NeuronSpec spec) => Spec = spec ?? throw new ArgumentNullException(nameof(spec));

    /// <summary>Neuron dynamics.</summary>
    public NeuronSpec Spec { get; }

    /// <summary>The state carried between calls of the current sequence (post-reset potential), if any.</summary>
    public Tensor? Membrane => membrane;

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape) => inputShape;

    /// <inheritdoc />
    public override void ResetState() => Replace(ref membrane, null);

    /// <summary>
    /// Runs <see cref="Pass.TimeSteps"/> steps in one fused kernel from the carried-over state (a constant: no temporal
    /// edge crosses calls) and keeps the final state.
    /// </summary>
    /// <param name="x">Input currents [T·B, ...].</param>
    /// <param name="pass">The pass; its time folding and spike observer are used.</param>
    /// <returns>The spikes [T·B, ...].</returns>
    public override Tensor Forward(Tensor x, Pass pass)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(pass);
        var shape = x.ShapeArray();
        using var current = x.Reshape(pass.TimeSteps, -1);
        if (membrane is null || membrane.Length != current.Length / pass.TimeSteps)
        {
            using (TensorScope.Suspend()) Replace(ref membrane, Tensor.Zeros(x.Device, current.Dim(1)));
        }
        using var s = Ops.LifSequence(current, Spec, membrane);
        var output = s.Reshape(shape);
        pass.OnSpikes?.Invoke(this, output);
        return output;
    }

    /// <summary>
    /// One differentiable time step from the carried state. With <paramref name="detachState"/> the state enters as a
    /// constant (the temporal edge is cut, SLTT's stop-gradient before the leak); otherwise the graph runs through it.
    /// </summary>
    /// <param name="x">Input current of this step [B, ...].</param>
    /// <param name="detachState">Whether the carried state enters as a constant.</param>
    /// <returns>The spikes [B, ...].</returns>
    public Tensor Step(Tensor x, bool detachState)
    {
        ArgumentNullException.ThrowIfNull(x);
        // Pass the state itself (its identity carries the graph) unless the temporal edge is cut.
        using var detached = detachState ? membrane?.Detach() : null;
        var s = Ops.LifStep(x, detached ?? membrane, Spec, out var v);
        Replace(ref membrane, TensorScope.Escape(v));
        return s;
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        ResetState();
        base.Dispose();
    }

    private static void Replace(ref Tensor? field, Tensor? value)
    {
        var old = field;
        field = value;
        old?.Dispose();
    }
}

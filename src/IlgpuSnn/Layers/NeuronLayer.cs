using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A layer of spiking neurons (LIF unless the spec's <see cref="NeuronSpec.Model"/> says otherwise), optionally
/// recurrent (<see cref="Recurrent"/>). It owns the neuron state between calls and forgets it at every new sequence.
/// <see cref="Forward"/> runs the folded time steps (fused multi-step kernel; a recurrent layer unrolls them) from the
/// carried-over state as a constant; <see cref="Step(Tensor, bool)"/> runs one differentiable step. What a training method adds
/// (traces, accumulations, rates) lives in that method's adapter; the Require* checks say where a method's identity
/// does not hold for this neuron.
/// </summary>
public sealed class NeuronLayer : Layer
{
    private Tensor? membrane;
    private Tensor? recurrentSpikes;
    private readonly Tensor[] parameters = [];

    /// <summary>Creates a neuron layer with the given dynamics (a model without a learnable parameter).</summary>
    /// <param name="spec">The neuron parameters.</param>
    /// <exception cref="ArgumentException">The model has a learnable parameter (use the constructor with a device).</exception>
    public NeuronLayer(NeuronSpec spec)
    {
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        if (spec.Model.HasParameter)
            throw new ArgumentException($"NeuronLayer: neuron '{spec.Model.Name}' has a learnable parameter; create the layer with a device.", nameof(spec));
    }

    /// <summary>Creates a neuron layer; a model with a learnable θ gets it as a parameter [1] on <paramref name="device"/>.</summary>
    /// <param name="device">The device holding the learnable parameter.</param>
    /// <param name="spec">The neuron parameters.</param>
    public NeuronLayer(Device device, NeuronSpec spec)
    {
        ArgumentNullException.ThrowIfNull(device);
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        if (spec.Model.HasParameter)
        {
            Parameter = ParameterInit.Constant(device, spec.Model.InitialParameter(spec), "neuron", 1);
            parameters = [Parameter];
        }
    }

    /// <summary>Neuron dynamics.</summary>
    public NeuronSpec Spec { get; }

    /// <summary>
    /// Creates a recurrent neuron layer: the current of step t is the input plus W_rec·s[t−1] (s[−1] = 0), with
    /// W_rec [features, features] initialised like a linear layer. Trainable with the methods that walk time step by
    /// step or unroll it (BPTT, TT-LBPTT, SLTT; SLTT cuts the recurrent edge together with the membrane's); OTTT, SAF
    /// and RateBP refuse it.
    /// </summary>
    /// <param name="device">The device holding the parameters.</param>
    /// <param name="spec">The neuron parameters.</param>
    /// <param name="rng">Random source of the initialisation.</param>
    /// <param name="features">Neurons per sample (the layer takes per-sample input [features]).</param>
    /// <exception cref="ArgumentException">Fewer than one feature.</exception>
    public NeuronLayer(Device device, NeuronSpec spec, Random rng, int features) : this(device, spec)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (features < 1) throw new ArgumentException($"NeuronLayer: a recurrent layer needs at least one feature, got {features}.", nameof(features));
        Recurrent = ParameterInit.Uniform(device, rng, features, "recurrent", features, features);
        parameters = [.. parameters, Recurrent];
    }

    /// <summary>The recurrent weights W_rec [features, features] of a recurrent layer, else null.</summary>
    public Tensor? Recurrent { get; }

    /// <summary>The learnable θ [1] of models that have one (PLIF's w), else null.</summary>
    public Tensor? Parameter { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> Parameters => parameters;

    /// <summary>
    /// The state carried between calls of the current sequence, if any: the post-reset potential, or for a two-state
    /// neuron (ALIF) [2, ...] planes of v and the auxiliary state.
    /// </summary>
    public Tensor? Membrane => membrane;

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (Recurrent is not null && (inputShape.Length != 1 || inputShape[0] != Recurrent.Dim(0)))
            throw new ArgumentException($"NeuronLayer: the recurrent layer expects per-sample input [{Recurrent.Dim(0)}], got {Tensor.Format(inputShape)}.");
        return inputShape;
    }

    /// <inheritdoc />
    public override void ResetState()
    {
        Replace(ref membrane, null);
        Replace(ref recurrentSpikes, null);
    }

    /// <summary>
    /// Runs <see cref="Pass.TimeSteps"/> steps from the carried-over state (a constant: no temporal edge crosses
    /// calls) and keeps the final state: one fused kernel, or the steps unrolled for a recurrent layer.
    /// </summary>
    /// <param name="x">Input currents [T·B, ...].</param>
    /// <param name="pass">The pass; its time folding and spike observer are used.</param>
    /// <returns>The spikes [T·B, ...].</returns>
    public override Tensor Forward(Tensor x, Pass pass)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(pass);
        var output = Recurrent is not null ? ForwardRecurrentSequence(x, pass) : ForwardSequence(x, pass);
        pass.OnSpikes?.Invoke(this, output);
        return output;
    }

    /// <summary>
    /// One differentiable time step from the carried state. With <paramref name="detachState"/> the state (and a
    /// recurrent layer's previous spikes) enter as constants: the temporal edge is cut, SLTT's stop-gradient before the
    /// leak; otherwise the graph runs through them.
    /// </summary>
    /// <param name="x">Input current of this step [B, ...].</param>
    /// <param name="detachState">Whether the carried state enters as a constant.</param>
    /// <returns>The spikes [B, ...].</returns>
    public Tensor Step(Tensor x, bool detachState) => Step(x, detachState, null);

    /// <summary>
    /// <see cref="Step(Tensor, bool)"/> that also extends a presynaptic trace of the spikes (see <see cref="NeuronTrace"/>),
    /// in the step's own launch where the neuron's kernels can.
    /// </summary>
    /// <param name="x">Input current of this step [B, ...].</param>
    /// <param name="detachState">Whether the carried state enters as a constant.</param>
    /// <param name="trace">The previous trace and where the next one is written; null for none.</param>
    /// <returns>The spikes [B, ...].</returns>
    internal Tensor Step(Tensor x, bool detachState, NeuronTrace? trace)
    {
        ArgumentNullException.ThrowIfNull(x);
        // Pass the state itself (its identity carries the graph) unless the temporal edge is cut.
        using var detached = detachState ? membrane?.Detach() : null;
        using var detachedSpikes = detachState ? recurrentSpikes?.Detach() : null;
        var s = Ops.NeuronStep(WithRecurrentInput(x, detachedSpikes ?? recurrentSpikes), detached ?? membrane, Spec, Parameter, trace, out var v);
        Replace(ref membrane, TensorScope.Escape(v));
        if (Recurrent is not null) Replace(ref recurrentSpikes, TensorScope.Escape(Ops.Clone(s)));
        return s;
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        ResetState();
        base.Dispose();
    }

    /// <summary>
    /// <paramref name="norm"/> and this layer as one (see <see cref="BatchNormNeuronFusion"/>): <see cref="Forward"/> of
    /// <paramref name="norm"/>'s output, with the normalisation done inside the neuron kernel.
    /// </summary>
    /// <param name="norm">The BatchNorm directly before this layer (no statistics reducer).</param>
    /// <param name="x">BatchNorm's input [T·B, C, ...].</param>
    /// <param name="pass">The pass.</param>
    /// <returns>The spikes [T·B, C, ...].</returns>
    internal Tensor ForwardNormalized(BatchNorm norm, Tensor x, Pass pass)
    {
        var output = ForwardSequence(x, pass, norm);
        pass.OnSpikes?.Invoke(this, output);
        return output;
    }

    private Tensor ForwardSequence(Tensor x, Pass pass, BatchNorm? norm = null)
    {
        var shape = x.ShapeArray();
        using var current = x.Reshape(pass.TimeSteps, -1);
        if (!Carries(membrane, current.Dim(1)))
        {
            using (TensorScope.Suspend()) Replace(ref membrane, Tensor.Zeros(x.Device, Ops.NeuronStateShape(Spec, [current.Dim(1)])));
        }
        using var s = norm is null
            ? Ops.NeuronSequence(current, Spec, Parameter, membrane)
            : Ops.BatchNormNeuronSequence(x, pass.TimeSteps, norm.Gamma, norm.Beta, norm.RunningMean, norm.RunningVariance, pass.Training, norm.Momentum, norm.Eps,
                Spec, Parameter, membrane);
        return s.Reshape(shape);
    }

    /// <summary>
    /// Sequence mode of a recurrent layer: the T steps unrolled (the recurrent matrix product sits between steps),
    /// starting from the state carried over from the previous window as constants; the tape sees every step.
    /// </summary>
    private Tensor ForwardRecurrentSequence(Tensor x, Pass pass)
    {
        int batch = x.Dim(0) / pass.TimeSteps;
        using var v0 = Carries(membrane, (long)batch * Recurrent!.Dim(0)) ? membrane!.Detach() : null;
        using var s0 = recurrentSpikes is not null && recurrentSpikes.Dim(0) == batch ? recurrentSpikes.Detach() : null;
        Tensor? v = v0, s = s0;
        var steps = new List<Tensor>(pass.TimeSteps);
        for (int t = 0; t < pass.TimeSteps; t++)
        {
            using var xt = x.Slice(t * batch, batch);
            s = Ops.NeuronStep(WithRecurrentInput(xt, s), v, Spec, Parameter, out var next);
            v = next;
            steps.Add(s);
        }
        using (Tape.NoGrad())
        {
            Replace(ref membrane, TensorScope.Escape(Ops.Clone(v!)));
            Replace(ref recurrentSpikes, TensorScope.Escape(Ops.Clone(s!)));
        }
        return Ops.Concat(steps);
    }

    /// <summary>x + s_prev·W_recᵀ for a recurrent layer (x alone at the first step or without recurrence).</summary>
    private Tensor WithRecurrentInput(Tensor x, Tensor? previousSpikes) =>
        Recurrent is null || previousSpikes is null ? x : Ops.Add(x, Ops.Linear(previousSpikes, Recurrent, null));

    /// <summary>Whether <paramref name="state"/> is the state of <paramref name="neurons"/> neurons of this layer's model.</summary>
    private bool Carries(Tensor? state, long neurons) => state is not null && state.Length == neurons * Spec.Model.StateVariables;

    /// <summary>Refuses a recurrent layer for a method whose identity assumes feed-forward spikes.</summary>
    internal void RequireFeedForward(string method)
    {
        if (Recurrent is not null)
            throw new NotSupportedException(
                $"The recurrent layer of neuron '{Spec.Model.Name}' cannot be trained with {method}: the method's identity assumes feed-forward spikes; use bptt, tt-lbptt or sltt.");
    }

    /// <summary>Refuses a neuron without a fixed linear leak (and, if asked, soft reset).</summary>
    internal void RequireLinearLeak(string method, string what, bool softReset)
    {
        if (!Spec.Model.IsLinearLeak(Spec) || (softReset && Spec.Reset != ResetMode.Soft))
            throw new NotSupportedException(
                $"Neuron '{Spec.Model.Name}' ({Spec.Reset.ToString().ToLowerInvariant()} reset) cannot be trained with {method}: {what} needs u = λ·v + I with a fixed λ{(softReset ? " and soft reset" : "")}.");
    }

    /// <summary>Refuses a neuron whose rate/eligibility recursion is not its gradient.</summary>
    internal void RequireRateRecursion()
    {
        if (!Spec.Model.SupportsRateRecursion(Spec))
            throw new NotSupportedException(
                $"Neuron '{Spec.Model.Name}' cannot be trained with RateBP (ratebp): its rate/eligibility recursion is not this neuron's gradient (it follows one state variable and trains no neuron parameter).");
    }

    private static void Replace(ref Tensor? field, Tensor? value)
    {
        var old = field;
        field = value;
        old?.Dispose();
    }
}

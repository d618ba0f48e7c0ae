using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A layer of spiking neurons (LIF unless the spec's <see cref="NeuronSpec.Model"/> says otherwise), optionally
/// recurrent (<see cref="Recurrent"/>). It owns the neuron state between time steps and resets it at every new
/// sequence; how it advances time depends on the pass: the fused multi-step kernel in sequence mode, one differentiable step in
/// step modes (with the temporal edge cut when the estimator asks), traces for OTTT, accumulations for SAF, rates and
/// eligibilities for RateBP.
/// </summary>
public sealed class NeuronLayer : Layer
{
    private Tensor? membrane;
    private Tensor? trace;
    private Tensor? rate;
    private Tensor? eligibility;
    private RateAccumulator? accumulator;
    private Tensor? lastSpikes;
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
    public override void ResetState(int batchSize)
    {
        Replace(ref membrane, null);
        Replace(ref trace, null);
        Replace(ref rate, null);
        Replace(ref eligibility, null);
        Replace(ref recurrentSpikes, null);
        accumulator?.Dispose();
        accumulator = null;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor x, Tensor? trace, Pass pass, out Tensor? traceOut)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(pass);
        traceOut = null;
        var output = pass.Mode switch
        {
            PassMode.Sequence => ForwardSequence(x, pass),
            PassMode.Step => ForwardStep(x, pass),
            PassMode.OtttStep => ForwardOttt(x, pass, out traceOut),
            PassMode.SafStep => ForwardSaf(x),
            _ => ForwardRate(x),
        };
        if (pass.OnSpikes is not null && pass.Mode != PassMode.Rate) pass.OnSpikes(this, lastSpikes ?? output);
        lastSpikes = null;
        return output;
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        ResetState(0);
        base.Dispose();
    }

    private Tensor ForwardSequence(Tensor x, Pass pass)
    {
        if (Recurrent is not null && !pass.RecordRateStatistics) return ForwardRecurrentSequence(x, pass);
        var shape = x.ShapeArray();
        using var current = x.Reshape(pass.TimeSteps, -1);
        if (pass.RecordRateStatistics)
        {
            RequireRateRecursion();
            RequireFeedForward("RateBP (ratebp)");
            using var spikes = Ops.LifRateStatistics(current, Spec, out var r, out var e);
            Replace(ref rate, TensorScope.Escape(r));
            Replace(ref eligibility, TensorScope.Escape(e));
            return spikes.Reshape(shape);
        }
        if (!Carries(membrane, current.Dim(1)))
        {
            using (TensorScope.Suspend()) Replace(ref membrane, Tensor.Zeros(x.Device, Ops.NeuronStateShape(Spec, [current.Dim(1)])));
        }
        using var s = Ops.NeuronSequence(current, Spec, Parameter, membrane);
        return s.Reshape(shape);
    }

    private Tensor ForwardStep(Tensor x, Pass pass)
    {
        if (pass.RecordRateStatistics)
        {
            RequireRateRecursion();
            RequireFeedForward("RateBP (ratebp)");
            accumulator ??= new RateAccumulator(x.Device, x.ShapeArray());
            return Ops.LifRateStep(x, Spec, accumulator);
        }
        // Pass the state itself (its identity carries the graph) unless the estimator cuts the temporal edge.
        using var detached = pass.DetachState ? membrane?.Detach() : null;
        using var detachedSpikes = pass.DetachState ? recurrentSpikes?.Detach() : null;
        var s = Ops.NeuronStep(WithRecurrentInput(x, detachedSpikes ?? recurrentSpikes), detached ?? membrane, Spec, Parameter, out var v);
        Replace(ref membrane, TensorScope.Escape(v));
        if (Recurrent is not null) Replace(ref recurrentSpikes, TensorScope.Escape(Ops.Clone(s)));
        return s;
    }

    private Tensor ForwardOttt(Tensor x, Pass pass, out Tensor? traceOut)
    {
        RequireLinearLeak("OTTT (ottt-a, ottt-o)", "its presynaptic trace", softReset: false);
        RequireFeedForward("OTTT (ottt-a, ottt-o)");
        var s = ForwardStep(x, new Pass { Mode = PassMode.Step, DetachState = true, Training = pass.Training, BatchSize = pass.BatchSize });
        using var spikes = s.Detach();
        using (Tape.NoGrad())
        using (TensorScope.Suspend())
        {
            var next = Ops.Clone(spikes);
            if (trace is not null) Kernels.Elementwise.Axpby(x.Device, Spec.Decay, trace.View, 1f, next.View);
            Replace(ref trace, next);
        }
        traceOut = trace;
        return s;
    }

    private Tensor ForwardSaf(Tensor x)
    {
        RequireLinearLeak("SAF (saf-e, saf-f)", "its spike-accumulation identity", softReset: true);
        RequireFeedForward("SAF (saf-e, saf-f)");
        if (trace is null)
        {
            using (TensorScope.Suspend()) trace = Tensor.Zeros(x.Device, x.ShapeArray());
        }
        var s = Ops.SafStep(x, trace, Spec);
        lastSpikes = s;
        return Ops.WithGradientOf(trace, s);
    }

    private Tensor ForwardRate(Tensor x)
    {
        if (accumulator is not null)
        {
            using (TensorScope.Suspend())
            {
                Replace(ref rate, accumulator.Rate());
                Replace(ref eligibility, accumulator.Eligibility());
            }
            accumulator.Dispose();
            accumulator = null;
        }
        if (rate is null || eligibility is null)
            throw new InvalidOperationException("NeuronLayer: the rate pass needs the rates of a spike pass first.");
        using var r = rate.Reshape(x.ShapeArray());
        using var e = eligibility.Reshape(x.ShapeArray());
        return Ops.RateNeuron(x, r, e);
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

    private void RequireFeedForward(string method)
    {
        if (Recurrent is not null)
            throw new NotSupportedException(
                $"The recurrent layer of neuron '{Spec.Model.Name}' cannot be trained with {method}: the method's identity assumes feed-forward spikes; use bptt, tt-lbptt or sltt.");
    }

    private void RequireLinearLeak(string method, string what, bool softReset)
    {
        if (!Spec.Model.IsLinearLeak(Spec) || (softReset && Spec.Reset != ResetMode.Soft))
            throw new NotSupportedException(
                $"Neuron '{Spec.Model.Name}' ({Spec.Reset.ToString().ToLowerInvariant()} reset) cannot be trained with {method}: {what} needs u = λ·v + I with a fixed λ{(softReset ? " and soft reset" : "")}.");
    }

    private void RequireRateRecursion()
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

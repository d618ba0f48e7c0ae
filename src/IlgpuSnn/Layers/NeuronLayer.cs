using IlgpuSnn.Autodiff;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// A layer of spiking neurons (LIF unless the spec's <see cref="NeuronSpec.Model"/> says otherwise). It owns the neuron state between time steps and resets it at every new sequence;
/// how it advances time depends on the pass: the fused multi-step kernel in sequence mode, one differentiable step in
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

    /// <summary>The learnable θ [1] of models that have one (PLIF's w), else null.</summary>
    public Tensor? Parameter { get; }

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> Parameters => parameters;

    /// <summary>The state carried between calls of the current sequence (post-reset potential), if any.</summary>
    public Tensor? Membrane => membrane;

    /// <inheritdoc />
    public override int[] OutputShape(int[] inputShape) => inputShape;

    /// <inheritdoc />
    public override void ResetState(int batchSize)
    {
        Replace(ref membrane, null);
        Replace(ref trace, null);
        Replace(ref rate, null);
        Replace(ref eligibility, null);
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
        var shape = x.ShapeArray();
        using var current = x.Reshape(pass.TimeSteps, -1);
        if (pass.RecordRateStatistics)
        {
            RequireRateRecursion();
            using var spikes = Ops.LifRateStatistics(current, Spec, out var r, out var e);
            Replace(ref rate, TensorScope.Escape(r));
            Replace(ref eligibility, TensorScope.Escape(e));
            return spikes.Reshape(shape);
        }
        if (membrane is null || membrane.Length != current.Length / pass.TimeSteps)
        {
            using (TensorScope.Suspend()) Replace(ref membrane, Tensor.Zeros(x.Device, current.Dim(1)));
        }
        using var s = Ops.NeuronSequence(current, Spec, Parameter, membrane);
        return s.Reshape(shape);
    }

    private Tensor ForwardStep(Tensor x, Pass pass)
    {
        if (pass.RecordRateStatistics)
        {
            RequireRateRecursion();
            accumulator ??= new RateAccumulator(x.Device, x.ShapeArray());
            return Ops.LifRateStep(x, Spec, accumulator);
        }
        // Pass the state itself (its identity carries the graph) unless the estimator cuts the temporal edge.
        using var detached = pass.DetachState ? membrane?.Detach() : null;
        var s = Ops.NeuronStep(x, detached ?? membrane, Spec, Parameter, out var v);
        Replace(ref membrane, TensorScope.Escape(v));
        return s;
    }

    private Tensor ForwardOttt(Tensor x, Pass pass, out Tensor? traceOut)
    {
        RequireLinearLeak("OTTT (ottt-a, ottt-o)", "its presynaptic trace");
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
        RequireLinearLeak("SAF (saf-e, saf-f)", "its spike-accumulation identity");
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

    private void RequireLinearLeak(string method, string what)
    {
        if (!Spec.Model.IsLinearLeakSoftReset(Spec))
            throw new NotSupportedException(
                $"Neuron '{Spec.Model.Name}' ({Spec.Reset.ToString().ToLowerInvariant()} reset) cannot be trained with {method}: {what} needs u = λ·v + I with a fixed λ and soft reset.");
    }

    private void RequireRateRecursion()
    {
        if (!Spec.Model.SupportsRateRecursion(Spec))
            throw new NotSupportedException(
                $"Neuron '{Spec.Model.Name}' cannot be trained with RateBP (ratebp): its rate/eligibility recursion is not this neuron's gradient (a learnable neuron parameter would not be trained).");
    }

    private static void Replace(ref Tensor? field, Tensor? value)
    {
        var old = field;
        field = value;
        old?.Dispose();
    }
}

using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// Online training through time (spec §6): SLTT's temporal cut, with each weight gradient taken from the presynaptic
/// trace â[t] = λ·â[t−1] + s[t] instead of the spikes. The first layer sees the raw input unless <c>allTrace</c>
/// (then its input trace x̂). OTTT_A steps the optimizer once per sequence, OTTT_O after every time step.
/// </summary>
public sealed class Ottt(bool online, bool allTrace = false) : GradientEstimator
{
    /// <summary>True for OTTT_O (an optimizer step after every time step).</summary>
    public bool Online { get; } = online;

    /// <summary>Whether the first layer also takes its weight gradient from a trace of the input.</summary>
    public bool AllTrace { get; } = allTrace;

    /// <summary>
    /// Whether each neuron step writes its trace in its own launch (the default); false runs the step and then
    /// <see cref="Ops.NextTrace"/> (two launches, the same values): the reference the fusion's tests compare against.
    /// </summary>
    internal bool FuseTrace { get; init; } = true;

    /// <inheritdoc />
    public override string Name => Online ? "ottt-o" : "ottt-a";

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        int steps = input.Dim(0), batch = input.Dim(1);
        var totals = NewTotals(network, batch);
        float inputDecay = InputTrace.FirstDecay(network);
        Tensor? inputTrace = null;
        var basePass = new Pass { Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed };
        var flow = new TraceFlow();
        using var layers = new AdaptedNetwork(network, layer => Adapt(layer, flow));
        try
        {
            for (int t = 0; t < steps; t++)
            {
                using var scope = TensorScope.Begin();
                var xt = StepInput(network, input, t);
                var pass = basePass with { OnSpikes = SpikeHook(network, context, t) };
                if (AllTrace) inputTrace = InputTrace.Advance(inputTrace, xt, inputDecay);
                flow.Trace = inputTrace;
                RunStep(layers, xt, pass, loss, steps, totals);
                if (Online) context.Update();
            }
        }
        finally
        {
            inputTrace?.Dispose();
        }
        if (!Online) context.Update();
        return totals.Result();
    }

    /// <summary>
    /// OTTT's form of each layer: neurons step with the temporal edge cut and extend their trace; synapses take their
    /// value from the spikes and their weight gradient from the trace beside them; shape layers move the trace as they
    /// move the spikes; BatchNorm (whose input is no spike train) ends the trace.
    /// </summary>
    private LayerAdapter Adapt(Layer layer, TraceFlow flow) => layer switch
    {
        NeuronLayer neuron => new TracedNeuron(neuron, flow, FuseTrace),
        SynapticLayer synapse => new TraceGradientSynapse(synapse, flow),
        ShapeLayer shape => new TracedShape(shape, flow),
        BatchNorm => new TraceEnd(layer, flow),
        _ => throw LayerAdapter.Unsupported(Name, layer),
    };

    /// <summary>The presynaptic trace travelling beside the tensor between layers (null where there is none).</summary>
    private sealed class TraceFlow
    {
        public Tensor? Trace { get; set; }
    }

    /// <summary>
    /// A neuron step with the temporal edge cut; keeps â[t] = λ·â[t−1] + s[t] of its spikes (â[0] = s[0], the spikes'
    /// own memory), written by the step's launch when <paramref name="fuse"/>.
    /// </summary>
    private sealed class TracedNeuron(NeuronLayer neuron, TraceFlow flow, bool fuse) : LayerAdapter(neuron)
    {
        private Tensor? trace;

        public override Tensor Forward(Tensor x, Pass pass)
        {
            neuron.RequireLinearLeak("OTTT (ottt-a, ottt-o)", "its presynaptic trace", softReset: false);
            neuron.RequireFeedForward("OTTT (ottt-a, ottt-o)");
            var s = fuse && trace is not null ? FusedStep(x) : TwoLaunchStep(x);
            flow.Trace = trace;
            pass.OnSpikes?.Invoke(neuron, s);
            return s;
        }

        /// <summary>The step writes â[t] from â[t−1] in its own launch.</summary>
        private Tensor FusedStep(Tensor x)
        {
            Tensor next;
            using (TensorScope.Suspend()) next = Tensor.Empty(x.Device, x.ShapeArray());
            try
            {
                var s = neuron.Step(x, detachState: true, new NeuronTrace(trace!, next, neuron.Spec.Decay));
                trace!.Dispose();
                trace = next;
                return s;
            }
            catch
            {
                next.Dispose();
                throw;
            }
        }

        /// <summary>The step, then <see cref="Ops.NextTrace"/> (which aliases the spikes on the first step).</summary>
        private Tensor TwoLaunchStep(Tensor x)
        {
            var s = neuron.Step(x, detachState: true);
            using var spikes = s.Detach();
            using (Tape.NoGrad())
            using (TensorScope.Suspend())
            {
                var next = Ops.NextTrace(spikes, neuron.Spec.Decay, trace);
                trace?.Dispose();
                trace = next;
            }
            return s;
        }

        public override void Dispose()
        {
            trace?.Dispose();
            trace = null;
            base.Dispose();
        }
    }

    /// <summary>The op's value from the spikes, its weight gradient from the trace; the input gradient reaches the spikes.</summary>
    private sealed class TraceGradientSynapse(SynapticLayer synapse, TraceFlow flow) : LayerAdapter(synapse)
    {
        public override Tensor Forward(Tensor x, Pass pass)
        {
            var trace = flow.Trace;
            flow.Trace = null;
            return trace is null ? synapse.Forward(x, pass) : synapse.ForwardWithWeightGradientFrom(x, trace);
        }
    }

    /// <summary>A shape layer applied to the trace as to the spikes.</summary>
    private sealed class TracedShape(ShapeLayer shape, TraceFlow flow) : LayerAdapter(shape)
    {
        public override Tensor Forward(Tensor x, Pass pass)
        {
            flow.Trace = flow.Trace is null ? null : shape.Forward(flow.Trace, pass);
            return shape.Forward(x, pass);
        }
    }

    /// <summary>A layer after which no trace travels.</summary>
    private sealed class TraceEnd(Layer layer, TraceFlow flow) : LayerAdapter(layer)
    {
        public override Tensor Forward(Tensor x, Pass pass)
        {
            flow.Trace = null;
            return Layer.Forward(x, pass);
        }
    }
}

using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// Spike accumulation forwarding (spec §8, reconstructed; see docs/estimators.md). Layers exchange the accumulations
/// â[t] = λ·â[t−1] + s[t] instead of spikes, one synaptic op per layer per step, and no membrane potential is kept:
/// u[t] = Op(â_in[t]) − λ·Vth·â[t−1]. The read-out works on the accumulation too, o[t] = W·â_L[t] + b − λ·W·â_L[t−1].
/// SAF-E back-propagates every step's loss with â[t−1] constant and steps the optimizer after every step (the gradient
/// equals OTTT_O's in its all-trace form). SAF-F runs the steps without graph and back-propagates once, at the final
/// step, the loss of the normalised final accumulation ℓ(W·â_L[T]/Σ_k λ^k + b), stepping the optimizer once; the loss
/// it reports is still the network's loss of its read-outs o[t]. Hidden synaptic layers and BatchNorm work on the
/// accumulations at the scale of one step (N·Op(â/N), N[t] from the first neuron layer's λ): biases accumulate, and
/// BatchNorm's statistics are those the evaluation's plain LIF pass sees.
/// </summary>
public sealed class Saf(bool final) : GradientEstimator
{
    /// <summary>True for SAF-F (one update at the final step), false for SAF-E (an update every step).</summary>
    public bool Final { get; } = final;

    /// <inheritdoc />
    public override string Name => Final ? "saf-f" : "saf-e";

    /// <inheritdoc />
    public override LossReduction? RequiredReduction => Final ? null : LossReduction.PerStep;

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        int steps = input.Dim(0), batch = input.Dim(1);
        SafRequirements.Check(Name, network, input);
        int readoutIndex = network.Layers.Count - 1;
        var readout = network.Readout;
        float inputDecay = InputTrace.FirstDecay(network);
        float outputDecay = ((NeuronLayer)network.Layers[network.NeuronLayerIndices[^1]]).Spec.Decay;
        var totals = NewTotals(network, batch);
        Tensor? inputTrace = null;
        Tensor? previousReadout = null;
        var scale = new StepScale();
        using var layers = new AdaptedNetwork(network, layer => Adapt(layer, scale));
        try
        {
            for (int t = 0; t < steps; t++)
            {
                using var scope = TensorScope.Begin();
                var xt = StepInput(network, input, t);
                inputTrace = InputTrace.Advance(inputTrace, xt, inputDecay);
                var pass = new Pass { Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed, OnSpikes = SpikeHook(network, context, t) };
                scale.Norm = AccumulatedWeight(inputDecay, t + 1);
                bool withGraph = !Final || t == steps - 1;
                using var tape = new Tape();
                Tensor instantaneous, l;
                using (withGraph ? tape.Record() : Tape.NoGrad())
                {
                    var accumulation = layers.Run(0, readoutIndex, inputTrace, pass);
                    // The read-out's bias enters o[t] once: it works on the accumulation as it is.
                    var accumulatedReadout = readout.Forward(accumulation, pass);
                    // o[t] = (W·â_L[t] + b) − λ·W·â_L[t−1]; the subtracted term is a constant.
                    instantaneous = previousReadout is null ? accumulatedReadout : Ops.Subtract(accumulatedReadout, previousReadout);
                    Tensor? next;
                    using (Tape.NoGrad()) next = Ops.Scale(readout.ApplyWeight(accumulation.Detach()), outputDecay);
                    previousReadout?.Dispose();
                    previousReadout = TensorScope.Escape(next);
                    l = !Final ? loss.Steps(instantaneous, 1, steps) : withGraph ? FinalLoss(loss, accumulation, readout, outputDecay, steps) : null!;
                }
                if (withGraph && !Final) totals.AddLoss(Backward(tape, l, totals));
                else if (withGraph) Backward(tape, l, totals);
                if (Final && loss.Reduction == LossReduction.PerStep)
                {
                    using (Tape.NoGrad()) totals.AddLoss(loss.Steps(instantaneous.Detach(), 1, steps));
                }
                totals.AddOutputs(instantaneous);
                if (!Final) context.Update();
            }
        }
        finally
        {
            inputTrace?.Dispose();
            previousReadout?.Dispose();
        }
        if (!Final) return totals.Result();
        context.Update();
        if (loss.Reduction == LossReduction.MeanOutput)
        {
            using var scope = TensorScope.Begin();
            using var count = Tensor.Full(network.Device, steps, batch, network.Classes);
            using var mean = Ops.Divide(totals.Outputs, count);
            totals.SetLoss(loss.Of(mean));
        }
        return totals.Result();
    }

    /// <summary>Σ_{k&lt;steps} λ^k: the weight a constant per-step input has in an accumulation after that many steps.</summary>
    private static float AccumulatedWeight(float decay, int steps)
    {
        float weight = 0f;
        for (int k = 0; k < steps; k++) weight += MathF.Pow(decay, k);
        return weight;
    }

    private static Tensor FinalLoss(SequenceLoss loss, Tensor accumulation, Linear readout, float decay, int stepsSoFar)
    {
        using var rate = Ops.Scale(accumulation, 1f / AccumulatedWeight(decay, stepsSoFar));
        using var output = readout.Forward(rate, new Pass());
        return loss.Of(output);
    }

    /// <summary>
    /// SAF's form of each hidden layer: neurons exchange accumulations; synapses with a bias and BatchNorm work at the
    /// scale of one step; linear layers (bias-free synapses, shape layers) act on accumulations as they are.
    /// </summary>
    private LayerAdapter Adapt(Layer layer, StepScale scale) => layer switch
    {
        NeuronLayer neuron => new AccumulatingNeuron(neuron),
        SynapticLayer { Bias: null } or ShapeLayer => LayerAdapter.Plain(layer),
        SynapticLayer or BatchNorm => new AtStepScale(layer, scale),
        _ => throw LayerAdapter.Unsupported(Name, layer),
    };

    /// <summary>N[t] = Σ_{k&lt;t} λ^k of the current step.</summary>
    private sealed class StepScale
    {
        public float Norm { get; set; } = 1f;
    }

    /// <summary>
    /// N·Op(x / N): the op applied to an accumulation at the scale of one step, its output accumulated again. An affine
    /// op's constant (a bias) is accumulated as the SAF identity requires (b·Σλ^k); BatchNorm's statistics and running
    /// averages are those of per-step inputs (exact for a constant input such as the direct encoding).
    /// </summary>
    private sealed class AtStepScale(Layer layer, StepScale scale) : LayerAdapter(layer)
    {
        public override Tensor Forward(Tensor x, Pass pass)
        {
            if (scale.Norm == 1f) return Layer.Forward(x, pass);
            var perStep = Ops.Scale(x, 1f / scale.Norm);
            return Ops.Scale(Layer.Forward(perStep, pass), scale.Norm);
        }
    }

    /// <summary>One SAF neuron step: the accumulation â[t] = λ·â[t−1] + s[t] goes on, carrying the spikes' gradient.</summary>
    private sealed class AccumulatingNeuron(NeuronLayer neuron) : LayerAdapter(neuron)
    {
        private Tensor? accumulation;

        public override Tensor Forward(Tensor x, Pass pass)
        {
            neuron.RequireLinearLeak("SAF (saf-e, saf-f)", "its spike-accumulation identity", softReset: true);
            neuron.RequireFeedForward("SAF (saf-e, saf-f)");
            if (accumulation is null)
            {
                using (TensorScope.Suspend()) accumulation = Tensor.Zeros(x.Device, x.ShapeArray());
            }
            var s = Ops.SafStep(x, accumulation, neuron.Spec);
            var output = Ops.WithGradientOf(accumulation, s);
            pass.OnSpikes?.Invoke(neuron, s);
            return output;
        }

        public override void Dispose()
        {
            accumulation?.Dispose();
            accumulation = null;
            base.Dispose();
        }
    }
}

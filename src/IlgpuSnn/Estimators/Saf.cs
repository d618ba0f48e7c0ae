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
/// BatchNorm's statistics are those the evaluation's plain LIF pass sees. To do so without a pass of its own, every
/// layer between neurons runs as it is on â/N (linear layers commute with the scale): the neuron step multiplies its
/// input by N and hands on its accumulation divided by N, and the read-out multiplies W·(â/N) by N in the op that adds
/// its bias and the previous step's term.
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
        // W·â_L[t−1]/N[t−1] of the previous step, and (SAF-F) the read-outs of every step, reported once at the end.
        Tensor? previousProduct = null;
        using var readouts = Final ? Tensor.Empty(network.Device, steps * batch, network.Classes) : null;
        var scale = new StepScale();
        using var layers = new AdaptedNetwork(network, layer => Adapt(layer, scale));
        try
        {
            float previousNorm = 0f;
            for (int t = 0; t < steps; t++)
            {
                using var scope = TensorScope.Begin();
                var xt = StepInput(network, input, t);
                scale.Norm = AccumulatedWeight(inputDecay, t + 1);
                inputTrace = InputTrace.AdvanceAtStepScale(inputTrace, xt, inputDecay, previousNorm, scale.Norm);
                var pass = new Pass { Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed, OnSpikes = SpikeHook(network, context, t) };
                bool withGraph = !Final || t == steps - 1;
                using var tape = new Tape();
                Tensor product, instantaneous = null!, l = null!;
                // o[t] = N[t]·W·(â_L[t]/N[t]) + b − λ·N[t−1]·W·(â_L[t−1]/N[t−1]); the subtracted term is a constant.
                float previousFactor = -outputDecay * previousNorm;
                using (withGraph ? tape.Record() : Tape.NoGrad())
                {
                    var accumulation = layers.Run(0, readoutIndex, inputTrace, pass);
                    product = readout.ApplyWeight(accumulation);
                    if (!Final)
                    {
                        instantaneous = Ops.ScaleAddBias(product, scale.Norm, readout.Bias, previousProduct, previousFactor);
                        l = loss.Steps(instantaneous, 1, steps);
                    }
                    else if (withGraph)
                    {
                        l = FinalLoss(loss, product, readout, scale.Norm / AccumulatedWeight(outputDecay, steps));
                    }
                }
                if (Final)
                {
                    using var slot = readouts!.Slice(t * batch, batch);
                    using var value = product.Detach();
                    Ops.ScaleAddBiasInto(slot, value, scale.Norm, readout.Bias, previousProduct, previousFactor);
                    if (withGraph) Backward(tape, l, totals);
                }
                else
                {
                    totals.AddSteps(instantaneous, Backward(tape, l, totals));
                }
                previousProduct?.Dispose();
                previousProduct = TensorScope.Escape(product.Detach());
                previousNorm = scale.Norm;
                if (!Final) context.Update();
            }
        }
        finally
        {
            inputTrace?.Dispose();
            previousProduct?.Dispose();
        }
        if (!Final) return totals.Result();
        context.Update();
        using (TensorScope.Begin())
        {
            if (loss.Reduction == LossReduction.PerStep)
            {
                totals.AddSteps(readouts!, loss.Steps(readouts!, steps, steps));
            }
            else
            {
                totals.AddOutputs(readouts!);
                using var mean = Ops.Scale(totals.Outputs, 1f / steps);
                totals.SetLoss(loss.Of(mean));
            }
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

    /// <summary>ℓ(W·â_L[T]/N_out + b) from the product W·(â_L[T]/N[T]) and the factor N[T]/N_out.</summary>
    private static Tensor FinalLoss(SequenceLoss loss, Tensor product, Linear readout, float factor)
    {
        using var output = Ops.ScaleAddBias(product, factor, readout.Bias);
        return loss.Of(output);
    }

    /// <summary>
    /// SAF's form of each hidden layer: neurons exchange accumulations at the scale of one step (â/N); every other layer
    /// (synapses with or without bias, BatchNorm, shape layers) runs as it is on them.
    /// </summary>
    private LayerAdapter Adapt(Layer layer, StepScale scale) => layer switch
    {
        NeuronLayer neuron => new AccumulatingNeuron(neuron, scale),
        SynapticLayer or BatchNorm or ShapeLayer => LayerAdapter.Plain(layer),
        _ => throw LayerAdapter.Unsupported(Name, layer),
    };

    /// <summary>N[t] = Σ_{k&lt;t} λ^k of the current step.</summary>
    private sealed class StepScale
    {
        public float Norm { get; set; } = 1f;
    }

    /// <summary>
    /// One SAF neuron step at the scale of one step: its input I = Op(â_in/N) (a bias and BatchNorm apply at that scale,
    /// so N·I = N·Op(â_in/N)), u = N·I − λ·Vth·â[t−1]; the accumulation â[t] = λ·â[t−1] + s[t] goes on and is handed on
    /// as â[t]/N, carrying the spikes' gradient.
    /// </summary>
    private sealed class AccumulatingNeuron(NeuronLayer neuron, StepScale scale) : LayerAdapter(neuron)
    {
        private Tensor? accumulation;

        public override Tensor Forward(Tensor x, Pass pass)
        {
            neuron.RequireLinearLeak("SAF (saf-e, saf-f)", "its spike-accumulation identity", softReset: true);
            neuron.RequireFeedForward("SAF (saf-e, saf-f)");
            bool first = accumulation is null;
            if (first)
            {
                using (TensorScope.Suspend()) accumulation = Tensor.Empty(x.Device, x.ShapeArray());
            }
            var output = Ops.SafStepAtStepScale(x, accumulation!, neuron.Spec, scale.Norm, first, out var spikes);
            pass.OnSpikes?.Invoke(neuron, spikes);
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

using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// Rate-based back-propagation (spec §7): a spike pass without graph, one step at a time, accumulates each neuron's firing
/// rate and eligibility (and each BatchNorm's per-step input statistics) in memory independent of T; then one rate pass
/// with graph and no time axis carries the gradient. The rate pass is seeded at its output with Σ_t ∂L/∂o[t] of the spike pass's read-outs, which is ∂ℓ/∂ō for
/// the mean-output loss and the natural extension for the per-step loss. <c>officialScale</c> multiplies the gradient by
/// 1/T as the official code does.
/// </summary>
public sealed class RateBp(bool officialScale = false) : GradientEstimator
{
    /// <summary>Whether gradients are scaled by 1/T like the official implementation.</summary>
    public bool OfficialScale { get; } = officialScale;

    /// <inheritdoc />
    public override string Name => "ratebp";

    /// <summary>The paper's loss: its gradient starts from softmax(ō) − y, the mean-output loss (per-step stays available).</summary>
    public override LossReduction DefaultReduction => LossReduction.MeanOutput;

    /// <inheritdoc />
    public override LossReduction? RequiredReduction => null;

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        int steps = input.Dim(0), batch = input.Dim(1);
        var device = network.Device;
        var totals = NewTotals(network, batch);
        var phase = new Phase();
        using var layers = new AdaptedNetwork(network, layer => Adapt(layer, phase));
        // Running sums over the spike pass, so its memory does not depend on T.
        Tensor inputSum, outputTerm;
        using (TensorScope.Suspend())
        {
            inputSum = Tensor.Zeros(device, [batch, .. network.InputShape]);
            outputTerm = Tensor.Zeros(device, batch, network.Classes);
        }
        try
        {
            var spikePass = new Pass { Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed };
            for (int t = 0; t < steps; t++)
            {
                using var scope = TensorScope.Begin();
                var xt = StepInput(network, input, t);
                Ops.AddInPlace(inputSum, xt);
                Tensor logits;
                using (Tape.NoGrad()) logits = layers.Run(0, network.Layers.Count, xt, spikePass with { OnSpikes = SpikeHook(network, context, t) });
                totals.AddOutputs(logits);
                if (loss.Reduction == LossReduction.PerStep)
                {
                    // Σ_t ∂L/∂o[t] accumulates step by step.
                    totals.AddLoss(OutputGradient(logits, l => loss.Steps(l, 1, steps), out var g));
                    Ops.AddInPlace(outputTerm, g);
                }
                else
                {
                    Ops.AddInPlace(outputTerm, logits);
                }
            }
            using var scope2 = TensorScope.Begin();
            Tensor seed;
            if (loss.Reduction == LossReduction.PerStep)
            {
                seed = outputTerm;
            }
            else
            {
                var meanOutput = Ops.Scale(outputTerm, 1f / steps);
                totals.SetLoss(OutputGradient(meanOutput, loss.Of, out seed));
            }
            if (OfficialScale) Ops.ScaleInPlace(seed, 1f / steps);
            var meanInput = Ops.Scale(inputSum, 1f / steps);
            using var tape = new Tape();
            Tensor rateOutput;
            using (tape.Record())
            {
                phase.RatePass = true;
                var ratePass = new Pass { Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed };
                rateOutput = layers.Run(0, network.Layers.Count, meanInput, ratePass);
            }
            tape.Backward(rateOutput, seed);
        }
        finally
        {
            inputSum.Dispose();
            outputTerm.Dispose();
        }
        context.Update();
        return totals.Result();
    }

    /// <summary>The loss of read-outs (a constant, on the device) and its gradient with respect to them.</summary>
    private static Tensor OutputGradient(Tensor outputs, Func<Tensor, Tensor> lossOf, out Tensor gradient)
    {
        var leaf = outputs.Detach().RequireGrad();
        using var tape = new Tape();
        Tensor l;
        using (tape.Record()) l = lossOf(leaf);
        tape.Backward(l);
        gradient = leaf.Grad!;
        return l;
    }

    /// <summary>
    /// RateBP's form of each layer: neurons accumulate rates and eligibilities in the spike pass and become the rate
    /// neuron in the rate pass; BatchNorm records the spike pass's statistics and normalises the rate pass with them;
    /// synapses and shape layers act on both passes as they are.
    /// </summary>
    private LayerAdapter Adapt(Layer layer, Phase phase) => layer switch
    {
        NeuronLayer neuron => new RateNeuron(neuron, phase),
        BatchNorm norm => new RecordedStatistics(norm, phase),
        SynapticLayer or ShapeLayer => LayerAdapter.Plain(layer),
        _ => throw LayerAdapter.Unsupported(Name, layer),
    };

    /// <summary>Which of the two passes is running.</summary>
    private sealed class Phase
    {
        public bool RatePass { get; set; }
    }

    /// <summary>Spike pass: one LIF step accumulating r and e. Rate pass: y = r + e·(x − stop_grad(x)).</summary>
    private sealed class RateNeuron(NeuronLayer neuron, Phase phase) : LayerAdapter(neuron)
    {
        private RateAccumulator? accumulator;
        private Tensor? rate;
        private Tensor? eligibility;

        public override Tensor Forward(Tensor x, Pass pass)
        {
            if (!phase.RatePass)
            {
                neuron.RequireRateRecursion();
                neuron.RequireFeedForward("RateBP (ratebp)");
                accumulator ??= new RateAccumulator(x.Device, x.ShapeArray());
                var s = Ops.LifRateStep(x, neuron.Spec, accumulator);
                pass.OnSpikes?.Invoke(neuron, s);
                return s;
            }
            if (accumulator is not null)
            {
                using (TensorScope.Suspend())
                {
                    rate = accumulator.Rate();
                    eligibility = accumulator.Eligibility();
                }
                accumulator.Dispose();
                accumulator = null;
            }
            if (rate is null || eligibility is null)
                throw new InvalidOperationException("ratebp: the rate pass needs the rates of a spike pass first.");
            using var r = rate.Reshape(x.ShapeArray());
            using var e = eligibility.Reshape(x.ShapeArray());
            return Ops.RateNeuron(x, r, e);
        }

        public override void Dispose()
        {
            accumulator?.Dispose();
            rate?.Dispose();
            eligibility?.Dispose();
            accumulator = null;
            rate = eligibility = null;
            base.Dispose();
        }
    }

    /// <summary>
    /// Spike pass (training): adds each step's per-channel statistics to a record, then normalises as usual. Rate pass
    /// (training): normalises with the mean of the recorded statistics. Evaluation: BatchNorm as it is.
    /// </summary>
    private sealed class RecordedStatistics(BatchNorm norm, Phase phase) : LayerAdapter(norm)
    {
        private Tensor? mean;
        private Tensor? variance;
        private int steps;

        public override Tensor Forward(Tensor x, Pass pass)
        {
            if (phase.RatePass && pass.Training)
            {
                if (mean is null || variance is null)
                    throw new InvalidOperationException("ratebp: BatchNorm's rate pass needs the statistics of a spike pass first.");
                using var m = Ops.Scale(mean, 1f / steps);
                using var v = Ops.Scale(variance, 1f / steps);
                return Ops.BatchNormWithStatistics(x, norm.Gamma, norm.Beta, m, v, norm.Eps);
            }
            if (!phase.RatePass && pass.Training) Record(x);
            return norm.Forward(x, pass);
        }

        public override void Dispose()
        {
            mean?.Dispose();
            variance?.Dispose();
            mean = variance = null;
            steps = 0;
            base.Dispose();
        }

        private void Record(Tensor x)
        {
            Ops.ChannelStatistics(x, out var stepMean, out var stepVariance);
            if (mean is null || variance is null)
            {
                mean = TensorScope.Escape(stepMean);
                variance = TensorScope.Escape(stepVariance);
            }
            else
            {
                Ops.AddInPlace(mean, stepMean);
                Ops.AddInPlace(variance, stepVariance);
                stepMean.Dispose();
                stepVariance.Dispose();
            }
            steps++;
        }
    }
}

using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// Rate-based back-propagation (spec §7): a spike pass without graph accumulates each neuron's firing rate and
/// eligibility (and each BatchNorm's input statistics); then one rate pass with graph and no time axis carries the
/// gradient. The rate pass is seeded at its output with Σ_t ∂L/∂o[t] of the spike pass's read-outs, which is ∂ℓ/∂ō for
/// the mean-output loss and the natural extension for the per-step loss. <c>officialScale</c> multiplies the gradient by
/// 1/T as the official code does. <see cref="GradientEstimator.BatchNormStats"/> picks the official code's two modes:
/// <see cref="BatchNormStatistics.Folded"/> is its 'm' (the spike pass runs layer by layer over the folded T·B batch;
/// the rate pass normalises with that batch's mean and pooled variance) and <see cref="BatchNormStatistics.PerStep"/>
/// its 's' (the spike pass runs step by step with per-step statistics, memory independent of T; the rate pass
/// normalises with the mean of the per-step means and the harmonic mean of the per-step var_t + ε, ε then added once
/// more).
/// </summary>
public sealed class RateBp : GradientEstimator
{
    /// <summary>Creates the method; BatchNorm statistics folded (the official 'm' mode) unless set per step ('s').</summary>
    /// <param name="officialScale">Whether gradients are scaled by 1/T like the official implementation.</param>
    public RateBp(bool officialScale = false)
    {
        OfficialScale = officialScale;
        BatchNormStats = BatchNormStatistics.Folded;
    }

    /// <summary>Whether gradients are scaled by 1/T like the official implementation.</summary>
    public bool OfficialScale { get; }

    /// <inheritdoc />
    public override string Name => "ratebp";

    /// <summary>The paper's loss: its gradient starts from softmax(ō) − y, the mean-output loss (per-step stays available).</summary>
    public override LossReduction DefaultReduction => LossReduction.MeanOutput;

    /// <inheritdoc />
    public override LossReduction? RequiredReduction => null;

    /// <inheritdoc />
    protected override bool CanFoldBatchNorm => true;

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        int steps = input.Dim(0), batch = input.Dim(1);
        var device = network.Device;
        var totals = NewTotals(network, batch);
        var phase = new Phase();
        using var layers = new AdaptedNetwork(network, layer => Adapt(layer, phase));
        // Running sums over the spike pass ('s': its memory does not depend on T).
        Tensor inputSum, outputTerm;
        using (TensorScope.Suspend())
        {
            inputSum = Tensor.Zeros(device, [batch, .. network.InputShape]);
            outputTerm = Tensor.Zeros(device, batch, network.Classes);
        }
        try
        {
            // 'm': the whole sequence in one pass, time folded into the batch; 's': one step per pass.
            int chunk = BatchNormStats == BatchNormStatistics.Folded ? steps : 1;
            for (int start = 0; start < steps; start += chunk)
            {
                using var scope = TensorScope.Begin();
                var spikePass = new Pass
                {
                    Training = context.Training, TimeSteps = chunk, BatchSize = batch, DropoutSeed = context.Seed,
                    OnSpikes = SpikeHook(network, context, start),
                };
                Tensor logits;
                using (Tape.NoGrad()) logits = layers.Run(0, network.Layers.Count, Window(network, input, start, chunk), spikePass);
                totals.AddOutputs(logits);
                for (int t = 0; t < chunk; t++)
                {
                    Ops.AddInPlace(inputSum, StepInput(network, input, start + t));
                    using var stepLogits = logits.Slice(t * batch, batch);
                    if (loss.Reduction == LossReduction.PerStep)
                    {
                        // Σ_t ∂L/∂o[t] accumulates step by step.
                        totals.AddLoss(OutputGradient(stepLogits, l => loss.Steps(l, 1, steps), out var g));
                        Ops.AddInPlace(outputTerm, g);
                    }
                    else
                    {
                        Ops.AddInPlace(outputTerm, stepLogits);
                    }
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
        BatchNorm norm => new RecordedStatistics(norm, phase, BatchNormStats),
        SynapticLayer or ShapeLayer => LayerAdapter.Plain(layer),
        _ => throw LayerAdapter.Unsupported(Name, layer),
    };

    /// <summary>Which of the two passes is running.</summary>
    private sealed class Phase
    {
        public bool RatePass { get; set; }
    }

    /// <summary>
    /// Spike pass: LIF steps accumulating r and e (one step, or the k steps folded in [k·B, ...] one after the other).
    /// Rate pass: y = r + e·(x − stop_grad(x)).
    /// </summary>
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
                var s = pass.TimeSteps == 1 ? Step(x) : StepThrough(x, pass);
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

        private Tensor Step(Tensor x)
        {
            accumulator ??= new RateAccumulator(x.Device, x.ShapeArray());
            return Ops.LifRateStep(x, neuron.Spec, accumulator);
        }

        private Tensor StepThrough(Tensor x, Pass pass)
        {
            int batch = pass.BatchSize;
            var spikes = new Tensor[pass.TimeSteps];
            try
            {
                for (int t = 0; t < spikes.Length; t++)
                {
                    using var step = x.Slice(t * batch, batch);
                    spikes[t] = Step(step);
                }
                return Ops.Concat(spikes);
            }
            finally
            {
                foreach (var s in spikes) s?.Dispose();
            }
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
    /// Spike pass (training): records the input statistics, then normalises as usual ('m': one call over the folded T·B
    /// batch; 's': one call per step, summing the per-step means and 1/(var_t + ε)). Rate pass (training): normalises
    /// with the recorded statistics ('m': the folded batch's mean and biased variance; 's': the mean of the per-step
    /// means and the harmonic mean of var_t + ε, to which the normalisation adds ε again, as the official code does) and
    /// back-propagates as BatchNorm with batch statistics; the running statistics change only in the spike pass.
    /// Evaluation: BatchNorm as it is.
    /// </summary>
    private sealed class RecordedStatistics(BatchNorm norm, Phase phase, BatchNormStatistics statistics) : LayerAdapter(norm)
    {
        private Tensor? mean;
        private Tensor? spread;
        private int calls;

        public override Tensor Forward(Tensor x, Pass pass)
        {
            if (phase.RatePass && pass.Training)
            {
                if (mean is null || spread is null)
                    throw new InvalidOperationException("ratebp: BatchNorm's rate pass needs the statistics of a spike pass first.");
                using var m = Ops.Scale(mean, 1f / calls);
                using var v = statistics == BatchNormStatistics.Folded ? Ops.Clone(spread) : HarmonicMean(spread, calls);
                return Ops.BatchNormWithStatistics(x, norm.Gamma, norm.Beta, m, v, norm.Eps);
            }
            if (!phase.RatePass && pass.Training) Record(x);
            return norm.Forward(x, pass);
        }

        public override void Dispose()
        {
            mean?.Dispose();
            spread?.Dispose();
            mean = spread = null;
            calls = 0;
            base.Dispose();
        }

        /// <summary>n / Σ 1/(var_t + ε): the harmonic mean of var_t + ε from the sum of the reciprocals.</summary>
        private static Tensor HarmonicMean(Tensor reciprocalSum, int n)
        {
            using var count = Tensor.Full(reciprocalSum.Device, n, reciprocalSum.ShapeArray());
            return Ops.Divide(count, reciprocalSum);
        }

        /// <summary>Adds this call's mean and its spread ('m': the biased variance; 's': 1/(var_t + ε)) to the record.</summary>
        private void Record(Tensor x)
        {
            Ops.ChannelStatistics(x, out var callMean, out var variance);
            var callSpread = variance;
            if (statistics == BatchNormStatistics.PerStep)
            {
                using var eps = Tensor.Full(x.Device, norm.Eps, variance.ShapeArray());
                using var one = Tensor.Full(x.Device, 1f, variance.ShapeArray());
                using var shifted = Ops.Add(variance, eps);
                callSpread = Ops.Divide(one, shifted);
                variance.Dispose();
            }
            if (mean is null || spread is null)
            {
                mean = TensorScope.Escape(callMean);
                spread = TensorScope.Escape(callSpread);
            }
            else
            {
                Ops.AddInPlace(mean, callMean);
                Ops.AddInPlace(spread, callSpread);
                callMean.Dispose();
                callSpread.Dispose();
            }
            calls++;
        }
    }
}

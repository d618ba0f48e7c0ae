using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

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

    /// <inheritdoc />
    public override LossReduction? RequiredReduction => null;

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        int steps = input.Dim(0), batch = input.Dim(1);
        var device = network.Device;
        var sum = new float[batch * network.Classes];
        float value = 0f;
        // Running sums over the spike pass, so its memory does not depend on T.
        Tensor inputSum, outputTerm;
        using (TensorScope.Suspend())
        {
            inputSum = Tensor.Zeros(device, [batch, .. network.InputShape]);
            outputTerm = Tensor.Zeros(device, batch, network.Classes);
        }
        try
        {
            var spikePass = new Pass { Mode = PassMode.Step, Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed, RecordRateStatistics = true };
            for (int t = 0; t < steps; t++)
            {
                using var scope = TensorScope.Begin();
                var xt = StepInput(network, input, t);
                Kernels.Elementwise.AddInPlace(device, inputSum.View, xt.View);
                Tensor logits;
                using (Tape.NoGrad()) logits = network.Run(0, network.Layers.Count, xt, null, spikePass with { OnSpikes = SpikeHook(network, context, t) });
                AccumulateOutputs(sum, logits);
                if (loss.Reduction == LossReduction.PerStep)
                {
                    // Σ_t ∂L/∂o[t] accumulates step by step.
                    value += OutputGradient(logits, l => loss.Steps(l, 1, steps), out var g);
                    Kernels.Elementwise.AddInPlace(device, outputTerm.View, g.View);
                }
                else
                {
                    Kernels.Elementwise.AddInPlace(device, outputTerm.View, logits.View);
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
                value = OutputGradient(meanOutput, loss.Of, out seed);
            }
            if (OfficialScale) Kernels.Elementwise.Unary(device, seed.View, seed.View, Kernels.UnaryOp.Scale, 1f / steps);
            var meanInput = Ops.Scale(inputSum, 1f / steps);
            using var tape = new Tape();
            Tensor rateOutput;
            using (tape.Record())
            {
                var ratePass = new Pass { Mode = PassMode.Rate, Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed };
                rateOutput = network.Run(0, network.Layers.Count, meanInput, null, ratePass);
            }
            tape.Backward(rateOutput, seed);
        }
        finally
        {
            inputSum.Dispose();
            outputTerm.Dispose();
        }
        context.Update();
        return new EstimatorResult(value, sum);
    }

    /// <summary>The loss of read-outs (a constant) and its gradient with respect to them.</summary>
    private static float OutputGradient(Tensor outputs, Func<Tensor, Tensor> lossOf, out Tensor gradient)
    {
        var leaf = outputs.Detach().RequireGrad();
        using var tape = new Tape();
        Tensor l;
        using (tape.Record()) l = lossOf(leaf);
        float value = l.Item();
        tape.Backward(l);
        gradient = leaf.Grad!;
        return value;
    }
}

using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

namespace IlgpuSnn.Estimators;

/// <summary>
/// Rate-based back-propagation (spec §7): a spike pass without graph over all T steps records each neuron's firing rate
/// and eligibility (and each BatchNorm's input statistics), then one rate pass with graph and no time axis carries the
/// gradient. The rate pass is seeded at its output with Σ_t ∂L/∂o[t] of the spike pass's read-outs, which is ∂ℓ/∂ō for
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
        var sum = new float[batch * network.Classes];
        float value;
        using (TensorScope.Begin())
        {
            var folded = Window(network, input, 0, steps);
            Tensor logits;
            using (Tape.NoGrad())
            {
                var spikePass = new Pass { Mode = PassMode.Sequence, Training = context.Training, TimeSteps = steps, BatchSize = batch, DropoutSeed = context.Seed, RecordRateStatistics = true, OnSpikes = SpikeHook(network, context, 0) };
                logits = network.Run(0, network.Layers.Count, folded, null, spikePass);
                AccumulateOutputs(sum, logits);
            }
            var (lossValue, outputGradient) = OutputGradient(logits, loss, steps, batch, network.Classes);
            value = lossValue;
            if (OfficialScale) Kernels.Elementwise.Unary(network.Device, outputGradient.View, outputGradient.View, Kernels.UnaryOp.Scale, 1f / steps);
            var perStep = input.Reshape(steps, -1);
            var meanInput = Ops.MeanAxis(perStep, 0).Reshape([batch, .. network.InputShape]);
            using var tape = new Tape();
            Tensor meanOutput;
            using (tape.Record())
            {
                var ratePass = new Pass { Mode = PassMode.Rate, Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed };
                meanOutput = network.Run(0, network.Layers.Count, meanInput, null, ratePass);
            }
            tape.Backward(meanOutput, outputGradient);
        }
        context.Update();
        return new EstimatorResult(value, sum);
    }

    /// <summary>The loss of the spike pass's read-outs [T·B, C] and Σ_t ∂L/∂o[t] as [B, C].</summary>
    private static (float Loss, Tensor Gradient) OutputGradient(Tensor logits, SequenceLoss loss, int steps, int batch, int classes)
    {
        var leaf = logits.Detach().RequireGrad();
        using var tape = new Tape();
        Tensor l;
        using (tape.Record()) l = loss.Sequence(leaf, steps);
        float value = l.Item();
        tape.Backward(l);
        using var perStep = leaf.Grad!.Reshape(steps, batch * classes);
        var summed = Ops.SumAxis(perStep, 0);
        return (value, summed.Reshape(batch, classes));
    }
}

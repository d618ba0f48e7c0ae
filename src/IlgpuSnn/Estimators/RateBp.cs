using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

namespace IlgpuSnn.Estimators;

/// <summary>
/// Rate-based back-propagation (spec §7): a spike pass without graph over all T steps records each neuron's firing rate
/// and eligibility (and each BatchNorm's input statistics), then one rate pass with graph and no time axis carries the
/// gradient of the mean-output loss. <c>officialScale</c> multiplies the gradient by 1/T as the official code does.
/// </summary>
public sealed class RateBp(bool officialScale = false) : GradientEstimator
{
    /// <summary>Whether gradients are scaled by 1/T like the official implementation.</summary>
    public bool OfficialScale { get; } = officialScale;

    /// <inheritdoc />
    public override string Name => "ratebp";

    /// <inheritdoc />
    public override LossReduction? RequiredReduction => LossReduction.MeanOutput;

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        int steps = input.Dim(0), batch = input.Dim(1);
        var sum = new float[batch * network.Classes];
        float value;
        using (TensorScope.Begin())
        {
            var folded = Window(network, input, 0, steps);
            using (Tape.NoGrad())
            {
                var spikePass = new Pass { Mode = PassMode.Sequence, Training = context.Training, TimeSteps = steps, BatchSize = batch, DropoutSeed = context.Seed, RecordRateStatistics = true, OnSpikes = SpikeHook(network, context, 0) };
                var logits = network.Run(0, network.Layers.Count, folded, null, spikePass);
                AccumulateOutputs(sum, logits);
            }
            var perStep = input.Reshape(steps, -1);
            var meanInput = Ops.MeanAxis(perStep, 0).Reshape([batch, .. network.InputShape]);
            using var tape = new Tape();
            Tensor l;
            using (tape.Record())
            {
                var ratePass = new Pass { Mode = PassMode.Rate, Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed };
                var meanOutput = network.Run(0, network.Layers.Count, meanInput, null, ratePass);
                l = loss.Of(meanOutput);
            }
            value = Backward(tape, l, OfficialScale ? 1f / steps : 1f);
        }
        context.Update();
        return new EstimatorResult(value, sum);
    }
}

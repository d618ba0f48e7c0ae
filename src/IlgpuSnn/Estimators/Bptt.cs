using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// Back-propagation through time with surrogate gradients (spec §4): the whole sequence in one graph, time folded into
/// the batch, neurons in their fused multi-step kernels; one optimizer step per sequence. Whether the reset path is
/// kept is the neuron's <c>DetachReset</c> flag.
/// </summary>
public sealed class Bptt : GradientEstimator
{
    /// <inheritdoc />
    public override string Name => "bptt";

    /// <inheritdoc />
    public override LossReduction? RequiredReduction => null;

    /// <summary>Creates the method with BatchNorm statistics over the folded T·B samples (SpikingJelly's multi-step default).</summary>
    public Bptt() => BatchNormStats = BatchNormStatistics.Folded;

    /// <inheritdoc />
    protected override bool CanFoldBatchNorm => true;

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        int steps = input.Dim(0), batch = input.Dim(1);
        var totals = NewTotals(network, batch);
        // Every layer as it is, with time folded into the batch (neurons in their fused multi-step kernels); BatchNorm
        // split into steps when its statistics are per step.
        using var layers = new AdaptedNetwork(network, layer => PerStepBatchNorm.For(layer, BatchNormStats));
        using (TensorScope.Begin())
        {
            using var tape = new Tape();
            Tensor lossTensor, logits;
            using (tape.Record())
            {
                var folded = Window(network, input, 0, steps);
                var pass = new Pass { Training = context.Training, TimeSteps = steps, BatchSize = batch, DropoutSeed = context.Seed, OnSpikes = SpikeHook(network, context, 0) };
                logits = layers.Run(0, network.Layers.Count, folded, pass);
                lossTensor = loss.Sequence(logits, steps);
            }
            totals.AddSteps(logits, Backward(tape, lossTensor));
        }
        context.Update();
        return totals.Result();
    }
}

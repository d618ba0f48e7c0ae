using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;
using IlgpuSnn.Training;

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

    /// <inheritdoc />
    public override string Name => Online ? "ottt-o" : "ottt-a";

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        int steps = input.Dim(0), batch = input.Dim(1);
        var sum = new float[batch * network.Classes];
        float total = 0f;
        float inputDecay = InputTrace.FirstDecay(network);
        Tensor? inputTrace = null;
        var basePass = new Pass { Mode = PassMode.OtttStep, DetachState = true, Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed, AllTrace = AllTrace };
        try
        {
            for (int t = 0; t < steps; t++)
            {
                using var scope = TensorScope.Begin();
                var xt = StepInput(network, input, t);
                var pass = basePass with { OnSpikes = SpikeHook(network, context, t) };
                if (AllTrace) inputTrace = InputTrace.Advance(inputTrace, xt, inputDecay);
                total += RunStep(network, xt, inputTrace, pass, loss, steps, sum);
                if (Online) context.Update();
            }
        }
        finally
        {
            inputTrace?.Dispose();
        }
        if (!Online) context.Update();
        return new EstimatorResult(total, sum);
    }
}

using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>What the caller lends an estimator for one sequence.</summary>
public sealed class EstimatorContext
{
    /// <summary>
    /// Called whenever the method steps the optimizer (once per sequence, per window, or per time step). A trainer
    /// steps and zeroes gradients here; a gradient check records the gradients and zeroes them.
    /// </summary>
    public required Action Update { get; init; }

    /// <summary>Training mode for BatchNorm and dropout.</summary>
    public bool Training { get; init; } = true;

    /// <summary>Seed of this iteration (dropout masks, SLTT-K step draws).</summary>
    public ulong Seed { get; init; }

    /// <summary>Stops the sequence between time steps (or windows) when cancelled; the update in flight is not applied.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Optional observer of every neuron layer's spikes: (layer index, first time step, spikes [k·B, ...] of k consecutive steps).</summary>
    public Action<int, int, Tensor>? OnSpikes { get; init; }
}

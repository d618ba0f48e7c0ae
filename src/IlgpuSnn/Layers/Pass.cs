using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>
/// What every layer needs to know about the forward pass it takes part in, whatever the training method: whether it
/// trains, how time is folded into the batch, the dropout seed and an optional spike observer. What a method changes
/// about a layer lives with the method (its layer adapters), never here.
/// </summary>
public sealed record Pass
{
    /// <summary>Training mode (batch statistics in BatchNorm, dropout active).</summary>
    public bool Training { get; init; }

    /// <summary>
    /// Time steps folded into the leading dimension: tensors are [T·B, ...] for T (a sequence or a window), [B, ...]
    /// for 1 (one step, or a pass without a time axis).
    /// </summary>
    public int TimeSteps { get; init; } = 1;

    /// <summary>Batch size B.</summary>
    public int BatchSize { get; init; }

    /// <summary>Seed of this sequence's dropout masks (one mask per sequence, fixed over time).</summary>
    public ulong DropoutSeed { get; init; }

    /// <summary>Observer of the spikes each neuron layer emits in this pass ([k·B, ...] for k steps).</summary>
    public Action<NeuronLayer, Tensor>? OnSpikes { get; init; }
}

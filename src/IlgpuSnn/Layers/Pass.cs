using IlgpuSnn.Runtime;

namespace IlgpuSnn.Layers;

/// <summary>Everything a layer needs to know about the forward pass it takes part in.</summary>
public sealed record Pass
{
    /// <summary>How time is walked.</summary>
    public PassMode Mode { get; init; }

    /// <summary>Training mode (batch statistics in BatchNorm, dropout active).</summary>
    public bool Training { get; init; }

    /// <summary>Time steps folded into the leading dimension: T (or the window length) in sequence mode, 1 otherwise.</summary>
    public int TimeSteps { get; init; } = 1;

    /// <summary>Batch size B.</summary>
    public int BatchSize { get; init; }

    /// <summary>
    /// Step modes: cut the temporal edge of the neuron state (SLTT's stop-gradient before the leak). Sequence mode: the
    /// carried-over state is always a constant.
    /// </summary>
    public bool DetachState { get; init; }

    /// <summary>RateBP spike pass: neurons record rates and eligibilities, BatchNorm records its input statistics.</summary>
    public bool RecordRateStatistics { get; init; }

    /// <summary>Seed of this sequence's dropout masks (one mask per sequence, fixed over time).</summary>
    public ulong DropoutSeed { get; init; }

    /// <summary>Observer of the spikes each neuron layer emits in this pass ([k·B, ...] for k steps).</summary>
    public Action<NeuronLayer, Tensor>? OnSpikes { get; init; }

    /// <summary>
    /// SAF steps: N[t] = Σ_{k&lt;t} λ^k, the weight a constant per-step input has accumulated to by step t (1 otherwise).
    /// See <see cref="AtStepScale"/>.
    /// </summary>
    public float AccumulationNorm { get; init; } = 1f;

    /// <summary>
    /// <paramref name="op"/>(x), or in SAF steps N·op(x / N): an op applied to an accumulation at the scale of one step,
    /// its output accumulated again. Linear ops are unchanged by it; an affine op's constant (a bias) is accumulated as
    /// the SAF identity requires (b·Σλ^k); BatchNorm's statistics and running averages are those of per-step inputs
    /// (exact for a constant input such as the direct encoding, which the evaluation's plain LIF pass then matches).
    /// </summary>
    public Tensor AtStepScale(Tensor x, Func<Tensor, Tensor> op)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (AccumulationNorm == 1f) return op(x);
        var perStep = Ops.Scale(x, 1f / AccumulationNorm);
        return Ops.Scale(op(perStep), AccumulationNorm);
    }

    /// <summary>OTTT all-trace option: the first parametrised layer also takes its weight gradient from an input trace.</summary>
    public bool AllTrace { get; init; }
}

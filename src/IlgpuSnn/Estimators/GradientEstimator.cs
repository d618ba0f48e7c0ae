using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>Shared plumbing of the estimators: time slicing, output sums and checks.</summary>
public abstract class GradientEstimator : IGradientEstimator
{
    [ThreadStatic] private static CancellationToken cancellation;
    private SpikingNetwork? attached;

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public virtual LossReduction? RequiredReduction => LossReduction.PerStep;

    private readonly BatchNormStatistics batchNormStats = BatchNormStatistics.PerStep;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">Folded statistics for a method that runs one step at a time.</exception>
    public BatchNormStatistics BatchNormStats
    {
        get => batchNormStats;
        init => batchNormStats = value == BatchNormStatistics.Folded && !CanFoldBatchNorm
            ? throw new ArgumentException($"{Name}: BatchNorm statistics are per step (the method runs one step at a time); folded statistics are available with bptt, tt-lbptt and ratebp.")
            : value;
    }

    /// <summary>Whether the method runs several steps in one pass, so BatchNorm can fold them (bptt, tt-lbptt, ratebp).</summary>
    protected virtual bool CanFoldBatchNorm => false;

    /// <inheritdoc />
    public virtual LossReduction DefaultReduction => RequiredReduction ?? LossReduction.PerStep;

    /// <inheritdoc />
    public virtual IReadOnlyList<Tensor> ExtraParameters => [];

    /// <inheritdoc />
    public virtual void Attach(SpikingNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (attached is not null && !ReferenceEquals(attached, network))
            throw new InvalidOperationException($"{Name}: already attached to another network; create one estimator per network.");
        attached = network;
    }

    /// <summary>The network passed to <see cref="Attach"/> (or first run), null before.</summary>
    protected SpikingNetwork? AttachedNetwork => attached;

    /// <inheritdoc />
    public EstimatorResult Run(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(context);
        if (input.Rank != network.InputShape.Length + 2 || !input.Shape.Skip(2).SequenceEqual(network.InputShape))
            throw new ArgumentException($"{Name}: input must be [T, B, {string.Join(", ", network.InputShape)}], got {Tensor.Format(input.Shape)}.");
        if (RequiredReduction is { } r && loss.Reduction != r)
            throw new ArgumentException($"{Name}: this method trains on the {(r == LossReduction.PerStep ? "per-step" : "mean-output")} loss.");
        if (attached is null) attached = network;
        else if (!ReferenceEquals(attached, network))
            throw new InvalidOperationException($"{Name}: this estimator is attached to another network; Run it on the network passed to Attach.");
        context.Cancellation.ThrowIfCancellationRequested();
        using var exclusive = network.EnterExclusive($"{Name}.Run");
        var outer = cancellation;
        cancellation = context.Cancellation;
        network.ResetState();
        try
        {
            return RunSequence(network, input, loss, context);
        }
        finally
        {
            network.ResetState();
            cancellation = outer;
        }
    }

    /// <summary>The method itself; state was reset before and is reset after.</summary>
    /// <param name="network">The network, state reset.</param>
    /// <param name="input">The encoded sequence [T, B, ...input shape].</param>
    /// <param name="loss">The loss with the batch's targets and the trainer's reduction.</param>
    /// <param name="context">The optimizer, the spike observer and the other per-run settings.</param>
    /// <returns>The sequence's loss and Σ_t o[t] ([B, classes]), still on the device.</returns>
    protected abstract EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context);

    /// <summary>Frees what the estimator owns.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>Time step <paramref name="t"/> of [T, B, ...] as [B, ...] (a view).</summary>
    /// <param name="network">The network; its input shape gives the view's shape.</param>
    /// <param name="input">The sequence [T, B, ...input shape].</param>
    /// <param name="t">0-based time step, in [0, T).</param>
    /// <returns>A view [B, ...input shape] of step <paramref name="t"/>; dispose it after use.</returns>
    protected static Tensor StepInput(SpikingNetwork network, Tensor input, int t)
    {
        cancellation.ThrowIfCancellationRequested();
        using var slice = input.Slice(t, 1);
        return slice.Reshape([input.Dim(1), .. network.InputShape]);
    }

    /// <summary>Steps [start, start+count) of [T, B, ...] folded as [count·B, ...] (a view).</summary>
    /// <param name="network">The network; its input shape gives the view's shape.</param>
    /// <param name="input">The sequence [T, B, ...input shape].</param>
    /// <param name="start">First time step of the window.</param>
    /// <param name="count">Number of steps in the window; start + count must not exceed T.</param>
    /// <returns>A view [count·B, ...input shape], time-major; dispose it after use.</returns>
    protected static Tensor Window(SpikingNetwork network, Tensor input, int start, int count)
    {
        cancellation.ThrowIfCancellationRequested();
        using var slice = input.Slice(start, count);
        return slice.Reshape([count * input.Dim(1), .. network.InputShape]);
    }

    /// <summary>
    /// The device-side totals of one sequence (its loss and Σ_t o[t]), so that no step waits for the device. Create them
    /// at the start of <see cref="RunSequence"/>, outside the inner scopes; <see cref="SequenceTotals.Result"/> hands
    /// them to the caller.
    /// </summary>
    /// <param name="network">The network; gives the device and the number of classes.</param>
    /// <param name="batch">The batch size B.</param>
    /// <returns>Zeroed totals: loss [1] and Σ_t o[t] [B, classes].</returns>
    protected static SequenceTotals NewTotals(SpikingNetwork network, int batch)
    {
        ArgumentNullException.ThrowIfNull(network);
        return new SequenceTotals(network.Device, batch, network.Classes);
    }

    /// <summary>A pass observer that forwards spikes to the context's hook, labelled with their first time step.</summary>
    /// <param name="network">The network whose layer index labels the spikes.</param>
    /// <param name="context">The context whose spike observer is forwarded.</param>
    /// <param name="firstStep">The time step of the first spikes the pass produces.</param>
    /// <returns>The observer for a <see cref="Pass"/>, or null when the context has none.</returns>
    protected static Action<NeuronLayer, Tensor>? SpikeHook(SpikingNetwork network, EstimatorContext context, int firstStep)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(context);
        var observer = context.OnSpikes;
        if (observer is null) return null;
        return (layer, spikes) => observer(IndexOf(network, layer), firstStep, spikes);
    }

    private static int IndexOf(SpikingNetwork network, Layer layer)
    {
        for (int i = 0; i < network.Layers.Count; i++)
            if (ReferenceEquals(network.Layers[i], layer)) return i;
        return -1;
    }

    /// <summary>
    /// One step of a step-by-step method: runs every layer on <paramref name="x"/> ([B, ...]) through the method's
    /// adapters, with a graph when <paramref name="withGraph"/> (then back-propagates the step's per-step loss term),
    /// and adds the read-out and the loss term's value to <paramref name="totals"/>.
    /// </summary>
    /// <param name="network">The network wrapped in the method's layer adapters.</param>
    /// <param name="x">The input of one step, [B, ...input shape].</param>
    /// <param name="pass">The forward pass settings (training mode, one time step).</param>
    /// <param name="loss">The sequence loss; its per-step term is taken.</param>
    /// <param name="steps">The sequence length T that scales the per-step term (1/T).</param>
    /// <param name="totals">The sequence totals the read-out and the loss term are added to.</param>
    /// <param name="withGraph">Whether to record and back-propagate the step; false runs it without a graph.</param>
    protected static void RunStep(AdaptedNetwork network, Tensor x, Pass pass, SequenceLoss loss, int steps, SequenceTotals totals, bool withGraph = true)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(totals);
        using var tape = new Tape();
        Tensor logits, l;
        using (withGraph ? tape.Record() : Tape.NoGrad())
        {
            logits = network.Run(0, network.Network.Layers.Count, x, pass);
            l = loss.Steps(logits, 1, steps);
        }
        totals.AddSteps(logits, withGraph ? Backward(tape, l, totals) : l);
    }

    /// <summary>
    /// Back-propagates a scalar loss term recorded on <paramref name="tape"/>, seeded with the sequence's shared ones
    /// (no fill per step), and returns it (still on the device).
    /// </summary>
    /// <param name="tape">The tape the loss term was recorded on.</param>
    /// <param name="lossValue">The scalar loss term ([1]) to back-propagate.</param>
    /// <param name="totals">The sequence's totals, whose <see cref="SequenceTotals.UnitSeed"/> seeds the pass.</param>
    /// <returns><paramref name="lossValue"/>, for chaining.</returns>
    internal static Tensor Backward(Tape tape, Tensor lossValue, SequenceTotals totals)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(lossValue);
        ArgumentNullException.ThrowIfNull(totals);
        tape.Backward(lossValue, lossValue.Length == 1 ? totals.UnitSeed : null);
        return lossValue;
    }

    /// <summary>Back-propagates a scalar loss recorded on <paramref name="tape"/> and returns it (still on the device).</summary>
    /// <param name="tape">The tape the loss was recorded on.</param>
    /// <param name="lossValue">The scalar loss ([1]) to back-propagate.</param>
    /// <param name="seed">The gradient seeded at the loss, d(objective)/d(loss); 1 for the loss itself.</param>
    /// <returns><paramref name="lossValue"/>, for chaining.</returns>
    protected static Tensor Backward(Tape tape, Tensor lossValue, float seed = 1f)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(lossValue);
        if (seed == 1f)
        {
            tape.Backward(lossValue);
        }
        else
        {
            using var s = Tensor.Full(lossValue.Device, seed, lossValue.ShapeArray());
            tape.Backward(lossValue, s);
        }
        return lossValue;
    }
}

using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// Temporally truncated, locally supervised BPTT (spec §9): time is cut into windows of <c>window</c> steps (the
/// neuron state is a constant at each window start) and the spiking layers into blocks (spikes are detached between
/// blocks); every block but the last learns from its own auxiliary classifier head, the last from the read-out.
/// Graph memory grows with the window and the block size, not with T. Updates after every window or once per sequence.
/// </summary>
public sealed class TruncatedLocalBptt : GradientEstimator
{
    private readonly int window;
    private readonly int[][]? blocks;
    private readonly Func<int, int[], SpikingNetwork, Layer[]>? headFactory;
    private readonly List<Layer[]> heads = [];
    private readonly List<(int From, int To)> ranges = [];

    /// <summary>
    /// Creates the estimator. <paramref name="blocks"/> lists, per block, the 0-based spiking-layer indices it holds
    /// (consecutive, covering all; null = one block). <paramref name="headFactory"/> builds the auxiliary head of block b
    /// from its per-sample output shape (default: <see cref="HeadFactory"/> of <see cref="AuxiliaryHead.PoolLinear"/>).
    /// </summary>
    /// <param name="window">Steps per window; at least 1.</param>
    /// <param name="blocks">The spiking-layer indices of each block; null = all layers in one block.</param>
    /// <param name="perWindowUpdate">True: an optimizer step after every window; false: one step per sequence.</param>
    /// <param name="headFactory">Builds block b's head from (b, per-sample output shape, network); null = the default pool-and-linear head.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="window"/> is less than 1.</exception>
    public TruncatedLocalBptt(int window, IReadOnlyList<int[]>? blocks = null, bool perWindowUpdate = false,
        Func<int, int[], SpikingNetwork, Layer[]>? headFactory = null)
    {
        if (window <= 0) throw new ArgumentOutOfRangeException(nameof(window), "tt-lbptt: the window must be at least 1 step.");
        this.window = window;
        this.blocks = blocks?.Select(b => b.ToArray()).ToArray();
        PerWindowUpdate = perWindowUpdate;
        this.headFactory = headFactory;
        BatchNormStats = BatchNormStatistics.Folded; // over the window's k·B samples unless asked per step
    }

    /// <inheritdoc />
    protected override bool CanFoldBatchNorm => true;

    /// <summary>Whether the optimizer steps after every window (else once per sequence).</summary>
    public bool PerWindowUpdate { get; }

    /// <inheritdoc />
    public override string Name => "tt-lbptt";

    /// <summary>The auxiliary heads, one per non-final block.</summary>
    public IReadOnlyList<IReadOnlyList<Layer>> Heads => heads;

    /// <inheritdoc />
    public override IReadOnlyList<Tensor> ExtraParameters => heads.SelectMany(h => h.SelectMany(l => l.Parameters)).ToList();

    /// <inheritdoc />
    public override void Attach(SpikingNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (ranges.Count > 0) throw new InvalidOperationException("tt-lbptt: already attached to a network.");
        base.Attach(network);
        var neurons = network.NeuronLayerIndices;
        var partition = blocks ?? [Enumerable.Range(0, neurons.Count).ToArray()];
        var flat = partition.SelectMany(b => b).ToArray();
        if (partition.Any(b => b.Length == 0) || !flat.SequenceEqual(Enumerable.Range(0, neurons.Count)))
            throw new ArgumentException($"tt-lbptt: blocks must list the spiking layers 0..{neurons.Count - 1} in order, each once; got [{string.Join("], [", partition.Select(b => string.Join(", ", b)))}].");
        int from = 0;
        for (int b = 0; b < partition.Length; b++)
        {
            bool last = b == partition.Length - 1;
            int to = last ? network.Layers.Count : neurons[partition[b][^1]] + 1;
            ranges.Add((from, to));
            if (!last)
            {
                var shape = network.InputShape;
                for (int i = 0; i < to; i++) shape = network.Layers[i].OutputShape(shape);
                var head = (headFactory ?? HeadFactory(AuxiliaryHead.PoolLinear))(b, shape, network);
                for (int i = 0; i < head.Length; i++) head[i].Name = $"aux.{b}.{i}";
                heads.Add(head);
            }
            from = to;
        }
    }

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        if (ranges.Count == 0)
            throw new InvalidOperationException("tt-lbptt: call Attach(network) before Run and give the optimizer ExtraParameters too; otherwise the auxiliary heads are never trained.");
        int steps = input.Dim(0), batch = input.Dim(1);
        var totals = NewTotals(network, batch);
        // Every layer as it is, with the window folded into the batch; the carried neuron state is a constant.
        using var layers = new AdaptedNetwork(network, layer => PerStepBatchNorm.For(layer, BatchNormStats));
        for (int start = 0; start < steps; start += window)
        {
            int length = Math.Min(window, steps - start);
            using var scope = TensorScope.Begin();
            var pass = new Pass { Training = context.Training, TimeSteps = length, BatchSize = batch, DropoutSeed = context.Seed, OnSpikes = SpikeHook(network, context, start) };
            Tensor blockInput = Window(network, input, start, length);
            for (int b = 0; b < ranges.Count; b++)
            {
                bool last = b == ranges.Count - 1;
                using var tape = new Tape();
                Tensor output, l;
                using (tape.Record())
                {
                    output = layers.Run(ranges[b].From, ranges[b].To, blockInput, pass);
                    var logits = last ? output : RunHead(heads[b], output, pass);
                    l = loss.Steps(logits, length, steps);
                }
                var value = Backward(tape, l, totals);
                if (last) totals.AddSteps(output, value);
                blockInput = output.Detach();
            }
            if (PerWindowUpdate) context.Update();
        }
        if (!PerWindowUpdate) context.Update();
        return totals.Result();
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        foreach (var h in heads)
            foreach (var l in h) l.Dispose();
        heads.Clear();
        base.Dispose();
    }

    private static Tensor RunHead(Layer[] head, Tensor x, Pass pass)
    {
        var current = x;
        foreach (var layer in head) current = layer.Forward(current, pass);
        return current;
    }

    /// <summary>
    /// <paramref name="blocks"/> blocks of consecutive spiking layers, as even in size as possible (0-based indices, the
    /// form the constructor takes).
    /// </summary>
    /// <param name="spikingLayers">Spiking layers of the network.</param>
    /// <param name="blocks">Number of blocks, 1 to <paramref name="spikingLayers"/>.</param>
    /// <returns>The spiking-layer indices of each block.</returns>
    /// <exception cref="ArgumentException"><paramref name="blocks"/> is outside 1 to <paramref name="spikingLayers"/>.</exception>
    public static int[][] EvenBlocks(int spikingLayers, int blocks)
    {
        if (blocks < 1 || blocks > spikingLayers)
            throw new ArgumentException($"tt-lbptt: the number of blocks must be between 1 and the number of spiking layers ({spikingLayers}), got {blocks}.");
        return Enumerable.Range(0, blocks)
            .Select(b => Enumerable.Range(b * spikingLayers / blocks, (b + 1) * spikingLayers / blocks - b * spikingLayers / blocks).ToArray())
            .ToArray();
    }

    /// <summary>
    /// The builder of <paramref name="kind"/>'s head for block b from the block's per-sample output shape (weights
    /// seeded by the block index, so that every run builds the same heads).
    /// </summary>
    /// <param name="kind">Which head.</param>
    /// <returns>A factory for <see cref="TruncatedLocalBptt(int, IReadOnlyList{int[]}, bool, Func{int, int[], SpikingNetwork, Layer[]})"/>.</returns>
    public static Func<int, int[], SpikingNetwork, Layer[]> HeadFactory(AuxiliaryHead kind) => (block, shape, network) =>
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(network);
        var rng = new Random(7919 * (block + 1));
        return kind == AuxiliaryHead.PoolLinear && shape.Length == 3
            ? [new GlobalAvgPool(), new Linear(network.Device, rng, shape[0], network.Classes)]
            : [new Flatten(), new Linear(network.Device, rng, shape.Aggregate(1, (a, c) => a * c), network.Classes)];
    };
}

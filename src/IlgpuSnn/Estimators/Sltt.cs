using IlgpuSnn.Autodiff;
using IlgpuSnn.Layers;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Estimators;

/// <summary>
/// Spatial learning through time (spec §5): the neuron state is detached before the leak, so only spatial edges remain;
/// each step is back-propagated right after its forward and its graph freed, so memory does not grow with T. One optimizer
/// step per sequence. SLTT-K back-propagates only K steps drawn per sequence without replacement (the 1/T scale is kept);
/// the other steps run without a graph.
/// </summary>
public sealed class Sltt : GradientEstimator
{
    private readonly int? k;
    private readonly int[]? fixedSteps;

    /// <summary>SLTT (every step), or SLTT-K with <paramref name="k"/> steps drawn per sequence.</summary>
    /// <param name="k">Steps back-propagated per sequence, or null for all of them.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    public Sltt(int? k = null)
    {
        if (k is <= 0) throw new ArgumentOutOfRangeException(nameof(k), "SLTT-K: K must be at least 1.");
        this.k = k;
    }

    /// <summary>SLTT-K with a fixed set of 0-based steps (for gradient checks).</summary>
    /// <param name="steps">The 0-based steps that get a backward.</param>
    public Sltt(IReadOnlyCollection<int> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        fixedSteps = [.. steps];
        k = fixedSteps.Length;
    }

    /// <inheritdoc />
    public override string Name => k is null ? "sltt" : "sltt-k";

    /// <summary>The steps that get a backward for a sequence of <paramref name="timeSteps"/> with this seed.</summary>
    /// <param name="timeSteps">Steps T of the sequence.</param>
    /// <param name="seed">The iteration's seed (the draw is a function of it).</param>
    /// <returns>The 0-based steps.</returns>
    /// <exception cref="ArgumentException">A fixed step lies outside 0..T−1.</exception>
    public IReadOnlySet<int> StepsFor(int timeSteps, ulong seed)
    {
        if (fixedSteps is not null)
        {
            foreach (var s in fixedSteps)
                if (s < 0 || s >= timeSteps) throw new ArgumentException($"sltt-k: step {s + 1} is outside 1..{timeSteps}.");
            return fixedSteps.ToHashSet();
        }
        if (k is null || k >= timeSteps) return Enumerable.Range(0, timeSteps).ToHashSet();
        var order = Enumerable.Range(0, timeSteps).ToArray();
        new Random(unchecked((int)(seed ^ (seed >> 32)))).Shuffle(order);
        return order.Take(k.Value).ToHashSet();
    }

    /// <inheritdoc />
    protected override EstimatorResult RunSequence(SpikingNetwork network, Tensor input, SequenceLoss loss, EstimatorContext context)
    {
        int steps = input.Dim(0), batch = input.Dim(1);
        var trained = StepsFor(steps, context.Seed);
        var totals = NewTotals(network, batch);
        var basePass = new Pass { Training = context.Training, BatchSize = batch, DropoutSeed = context.Seed };
        using var layers = new AdaptedNetwork(network, Adapt);
        for (int t = 0; t < steps; t++)
        {
            using var scope = TensorScope.Begin();
            var xt = StepInput(network, input, t);
            var pass = basePass with { OnSpikes = SpikeHook(network, context, t) };
            RunStep(layers, xt, pass, loss, steps, totals, withGraph: trained.Contains(t));
        }
        context.Update();
        return totals.Result();
    }

    /// <summary>SLTT's form of each layer: neurons step with the temporal edge cut, every other layer as it is.</summary>
    private LayerAdapter Adapt(Layer layer) => layer switch
    {
        NeuronLayer neuron => new DetachedStep(neuron),
        SynapticLayer or BatchNorm or ShapeLayer => LayerAdapter.Plain(layer),
        _ => throw LayerAdapter.Unsupported(Name, layer),
    };

    /// <summary>One neuron step whose carried state enters as a constant (the stop-gradient before the leak).</summary>
    private sealed class DetachedStep(NeuronLayer neuron) : LayerAdapter(neuron)
    {
        public override Tensor Forward(Tensor x, Pass pass)
        {
            var s = neuron.Step(x, detachState: true);
            pass.OnSpikes?.Invoke(neuron, s);
            return s;
        }
    }
}

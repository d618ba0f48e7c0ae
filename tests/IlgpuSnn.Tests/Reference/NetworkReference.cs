// Independent double-precision reference of every gradient estimator on general layered networks (convolution, pooling,
// BatchNorm, biases, batches), written from the method definitions in ../shared/design/estimators.md and the choices
// docs/estimators.md states for the reconstructed parts, never from the library code:
//   bptt, sltt, sltt-k, tt-lbptt, ottt-a/o : scalar autodiff over the graph each method keeps (UnrolledPass).
//   saf-e, saf-f                          : autodiff through the SAF accumulation forward (SafReference).
//   ratebp                                : spike pass, then a rate pass with its own graph (RateBpReference).
// The loss L is the mean over the batch of the per-sample loss, per step (1/T)·Σ_t ℓ(o[t]) or on the mean output ō.
// Gradients are at fixed weights: the sum over the method's updates; each update's share is reported too.
namespace IlgpuSnn.Tests.Reference;

/// <summary>The reference itself.</summary>
public static class NetworkReference
{
    /// <summary>Runs the estimator named by <paramref name="c"/>.</summary>
    public static NetworkResult Run(NetworkCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Layers.Length == 0 || c.Layers[^1] is not NetLinear)
            throw new ArgumentException("reference: the last layer must be the linear read-out");
        return c.Estimator switch
        {
            "bptt" or "sltt" or "sltt-k" or "tt-lbptt" or "ottt-a" or "ottt-o" => Unrolled(c),
            "saf-e" or "saf-f" => SafReference.Run(c),
            "ratebp" => RateBpReference.Run(c),
            _ => throw new ArgumentException($"reference: unknown estimator {c.Estimator}"),
        };
    }

    private static NetworkResult Unrolled(NetworkCase c)
    {
        int T = c.Steps, B = c.Batch;
        string m = c.Estimator;
        bool stepwise = m is "sltt" or "sltt-k" or "ottt-a" or "ottt-o";
        if (stepwise && c.Folded) throw new ArgumentException($"reference: {m} normalises per step");
        if (stepwise && c.MeanOutput) throw new ArgumentException($"reference: {m} needs the per-step loss");
        int cutEvery = m switch
        {
            "bptt" => T,
            "tt-lbptt" => c.Window ?? T,
            _ => 1,
        };
        var g = new NetworkGraph(c);
        var pass = new UnrolledPass(c, g, cutEvery, c.Folded ? cutEvery : 1, traces: m is "ottt-a" or "ottt-o");

        // Which steps send their loss into the graph, and how the steps are grouped into updates.
        var seeded = Enumerable.Range(0, T).Select(t => m != "sltt-k" || c.KSet!.Contains(t + 1)).ToArray();
        var updates = m switch
        {
            "ottt-o" => Enumerable.Range(0, T).Select(t => new[] { t }).ToList(),
            "tt-lbptt" when c.PerWindowUpdate => Enumerable.Range(0, (T + cutEvery - 1) / cutEvery)
                .Select(j => Enumerable.Range(j * cutEvery, Math.Min(cutEvery, T - j * cutEvery)).ToArray()).ToList(),
            _ => [Enumerable.Range(0, T).ToArray()],
        };
        var seeds = new List<(int Step, int Node, double Seed)>();
        double loss = Seeds(c, pass.Logits, g.Values(pass.Logits), seeds);
        foreach (var head in pass.AuxLogits) Seeds(c, head, g.Values(head), seeds);
        var result = Result(c, pass, loss);
        foreach (var steps in updates)
        {
            var grad = g.Tape.Backward(seeds.Where(s => steps.Contains(s.Step) && seeded[s.Step]).Select(s => (s.Node, s.Seed)));
            result.Updates.Add(g.Gradients(grad));
        }
        result.Gradients = Sum(result.Updates);
        return result;
    }

    /// <summary>
    /// The network's loss of the logits [t][b][class] (nodes and values) under the case's reduction, and ∂L/∂o[t][b] as
    /// seeds with their step: per step (1/(T·B))·∂ℓ(o[t])/∂o, on the mean output (1/(T·B))·∂ℓ(ō)/∂ō at every step.
    /// </summary>
    internal static double Seeds(NetworkCase c, int[][][] logits, double[][][] values, List<(int Step, int Node, double Seed)> seeds)
    {
        int T = values.Length, B = values[0].Length, C = values[0][0].Length;
        double loss = 0;
        if (!c.MeanOutput)
        {
            for (int t = 0; t < T; t++) loss += StepLoss(c, t, logits[t], values[t], 1.0 / T, seeds);
            return loss;
        }
        for (int b = 0; b < B; b++)
        {
            var mean = Enumerable.Range(0, C).Select(j => Enumerable.Range(0, T).Average(t => values[t][b][j])).ToArray();
            loss += ReferenceLoss.Of(c.LossKind, mean, c.Target(b, C), c.MseWeight, out var d) / B;
            for (int t = 0; t < T; t++)
                for (int j = 0; j < C; j++) seeds.Add((t, logits[t][b][j], d[j] / (T * B)));
        }
        return loss;
    }

    /// <summary>scale·(1/B)·Σ_b ℓ(o[b]) of one step's logits [b][class], seeding its gradient with that step.</summary>
    internal static double StepLoss(NetworkCase c, int step, int[][] logits, double[][] values, double scale, List<(int Step, int Node, double Seed)> seeds)
    {
        int B = values.Length, C = values[0].Length;
        double loss = 0;
        for (int b = 0; b < B; b++)
        {
            loss += scale * ReferenceLoss.Of(c.LossKind, values[b], c.Target(b, C), c.MseWeight, out var d) / B;
            for (int j = 0; j < C; j++) seeds.Add((step, logits[b][j], scale * d[j] / B));
        }
        return loss;
    }

    internal static NetworkResult Result(NetworkCase c, UnrolledPass pass, double loss) => new()
    {
        Loss = loss,
        Spikes = pass.S,
        RunningMean = pass.RunningMean,
        RunningVariance = pass.RunningVariance,
        Margin = pass.Margin,
    };

    internal static List<double[]> Sum(List<List<double[]>> updates) =>
        updates[0].Select((p, i) => p.Select((_, j) => updates.Sum(u => u[i][j])).ToArray()).ToList();
}

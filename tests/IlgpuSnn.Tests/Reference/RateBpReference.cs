namespace IlgpuSnn.Tests.Reference;

/// <summary>
/// Rate-based backpropagation (spec §7) in its two official BatchNorm modes:
/// <list type="bullet">
/// <item>spike pass (no graph): the plain network, BatchNorm per step ('s', <see cref="NetworkCase.Folded"/> false) or
/// over the T·B folded batch ('m'); each neuron records r = (1/T)Σ s[t] and elig = (1/T)Σ σ'(u[t] − Vth)·e[t] with
/// e[1] = 1, e[t+1] = 1 + ε[t]·e[t] (ε = λ, or λ(1 − Vth·σ') with the reset kept; hard reset λ(1 − s) − λ·u·σ', or
/// λ(1 − s) detached); each BatchNorm its statistics: 'm' the mean and biased variance of its one call, 's' the mean
/// over t of the per-step means and the harmonic mean over t of (per-step variance + ε);</item>
/// <item>rate pass (graph, no time axis): input x̄ (§7.3), or the last frame x[T] with
/// <see cref="NetworkCase.RateInputLastFrame"/> (the official 's' mode's quirk, §14.4);
/// synapses as they are; BatchNorm with the recorded statistics (σ = √(var + ε), ε once more in 's'); each neuron
/// the value r with ∂r/∂input = elig; the read-out seeded with Σ_t ∂L/∂o[t] of the spike pass (= ∂ℓ/∂ō for the
/// mean-output loss), times 1/T with the official scale.</item>
/// </list>
/// The running statistics are those of the spike pass.
/// </summary>
internal static class RateBpReference
{
    public static NetworkResult Run(NetworkCase c)
    {
        int T = c.Steps, B = c.Batch, L = c.Layers.Length;
        var spikeGraph = new NetworkGraph(c);
        var pass = new UnrolledPass(c, spikeGraph, T, c.Folded ? T : 1, traces: false);
        var spikeSeeds = new List<(int Step, int Node, double Seed)>();
        double loss = NetworkReference.Seeds(c, pass.Logits, spikeGraph.Values(pass.Logits), spikeSeeds);
        var position = new Dictionary<int, (int B, int J)>();
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int j = 0; j < pass.Logits[t][b].Length; j++) position[pass.Logits[t][b][j]] = (b, j);
        int classes = pass.Logits[0][0].Length;
        var delta = new double[B, classes];
        foreach (var (_, node, seed) in spikeSeeds)
        {
            var (b, j) = position[node];
            delta[b, j] += seed * (c.OfficialScale ? 1.0 / T : 1.0);
        }

        var g = new NetworkGraph(c);
        var tape = g.Tape;
        var input = !c.RateInputLastFrame
            ? Enumerable.Range(0, B).Select(b => c.Inputs[0][b].Select((_, j) => Enumerable.Range(0, T).Average(t => c.Inputs[t][b][j])).ToArray()).ToArray()
            : c.Inputs[T - 1];
        var x = g.Constants([input]);
        var shape = c.InputShape;
        int ordinal = 0;
        for (int li = 0; li < L; li++)
        {
            var layer = c.Layers[li];
            switch (layer)
            {
                case NetConv or NetLinear:
                    x = g.Synapse(layer, shape, x, null);
                    break;
                case NetBatchNorm bn:
                {
                    var calls = pass.Statistics[li];
                    int channels = bn.Gamma.Length;
                    var mu = Enumerable.Range(0, channels).Select(ch => calls.Average(s => s.Mean[ch])).ToArray();
                    var sigma = Enumerable.Range(0, channels).Select(ch => c.Folded
                        ? Math.Sqrt(calls[0].Variance[ch] + bn.Eps)
                        : Math.Sqrt(calls.Count / calls.Sum(s => 1 / (s.Variance[ch] + bn.Eps)) + bn.Eps)).ToArray();
                    x = g.NormaliseWith(bn, shape, x, mu, sigma);
                    break;
                }
                case NetNeuron n:
                {
                    var sg = ReferenceEstimators.Surrogate(n.Surrogate, n.Alpha);
                    var u = pass.U[ordinal];
                    var s = pass.S[ordinal];
                    for (int b = 0; b < B; b++)
                    {
                        var row = x[0][b];
                        var rates = new int[row.Length];
                        for (int j = 0; j < row.Length; j++)
                        {
                            double e = 1, elig = 0, rate = 0;
                            for (int t = 0; t < T; t++)
                            {
                                double ut = u[t][b][j], st = s[t][b][j], d = sg(ut - n.Threshold);
                                elig += d * e / T;
                                rate += st / T;
                                double epsilon = n.HardReset
                                    ? n.Decay * (1 - st) - (n.DetachReset ? 0 : n.Decay * ut * d)
                                    : n.DetachReset ? n.Decay : n.Decay * (1 - n.Threshold * d);
                                e = 1 + epsilon * e;
                            }
                            rates[j] = tape.Node(rate, [row[j]], [elig]);
                        }
                        x[0][b] = rates;
                    }
                    ordinal++;
                    break;
                }
                default:
                    x = g.Reshape(layer, shape, x);
                    break;
            }
            shape = NetworkGraph.OutputShape(layer, shape);
        }
        var seeds = new List<(int, double)>();
        for (int b = 0; b < B; b++)
            for (int j = 0; j < classes; j++) seeds.Add((x[0][b][j], delta[b, j]));
        var result = NetworkReference.Result(c, pass, loss);
        result.Updates.Add(g.Gradients(tape.Backward(seeds)));
        result.Gradients = result.Updates[0];
        return result;
    }
}

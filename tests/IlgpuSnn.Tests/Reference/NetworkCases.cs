namespace IlgpuSnn.Tests.Reference;

/// <summary>Small convolutional cases for <see cref="NetworkReference"/> (shared by the reference's own tests and the agreement tests).</summary>
public static class NetworkCases
{
    /// <summary>Default time steps T.</summary>
    public const int Steps = 4;

    /// <summary>Batch B.</summary>
    public const int Batch = 3;

    /// <summary>Read-out classes.</summary>
    public const int Classes = 3;

    /// <summary>
    /// Input [2, 6, 6] → conv 3×3 (3 channels, padding 1, bias) → [BN2d] → neuron → pool 2 → conv 3×3 stride 2 padding 1
    /// (4 channels, no bias) → [BN2d] → neuron → flatten → linear 16 → 5 (bias) → [BN1d] → neuron → read-out 5 → 3
    /// (bias); tt-lbptt: blocks {0}, {1, 2}, the first with a head (global average pooling, linear with bias); window 2.
    /// <paramref name="bn"/>: none | per-step | folded, then options after ':' (mean-output, per-window, all-trace,
    /// official, no-bias); <paramref name="neuron"/>: lif | if, with -hard / -detach, or triangle (surrogate).
    /// The seed is advanced until no potential lies within 1e-3 of the threshold (float32 cannot flip a spike).
    /// </summary>
    public static NetworkCase Conv(string estimator, string bn, string input, string loss, string neuron, string pool, int steps = Steps, double? decay = null)
    {
        var modes = bn.Split(':');
        bool norm = modes[0] != "none";
        bool hiddenBias = !modes.Contains("no-bias");
        for (int seed = 1; ; seed++)
        {
            var rng = new Random(seed * 7919 + (estimator + bn + input + loss + neuron + pool).Sum(ch => ch));
            double U(double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
            double[] V(int n, double lo, double hi) => Enumerable.Range(0, n).Select(_ => U(lo, hi)).ToArray();
            NetLayer[] Norm(int channels) => norm ? [new NetBatchNorm(V(channels, 0.6, 1.4), V(channels, 0.4, 1.0), 1e-3)] : [];
            var n = new NetNeuron(
                Decay: decay ?? (neuron.StartsWith("if", StringComparison.Ordinal) ? 1.0 : 0.5),
                HardReset: neuron.Contains("hard", StringComparison.Ordinal),
                DetachReset: neuron.Contains("detach", StringComparison.Ordinal),
                Surrogate: neuron.StartsWith("triangle", StringComparison.Ordinal) ? "triangle" : "sigmoid",
                Alpha: neuron.StartsWith("triangle", StringComparison.Ordinal) ? 1.0 : 4.0);
            NetLayer pooling = pool == "max" ? new NetMaxPool(2, 2) : new NetAvgPool(2, 2);
            // Without BatchNorm the weights carry the scale BatchNorm's γ/β would give.
            double gain = norm ? 1.0 : 1.6;
            var layers = new List<NetLayer> { new NetConv(2, 3, 3, 1, 1, V(3 * 2 * 9, -0.4 * gain, 0.6 * gain), hiddenBias ? V(3, -0.1, 0.3) : null) };
            layers.AddRange(Norm(3));
            layers.Add(n);
            layers.Add(pooling);
            layers.Add(new NetConv(3, 4, 3, 2, 1, V(4 * 3 * 9, -0.5 * gain, 0.9 * gain), null));
            layers.AddRange(Norm(4));
            layers.Add(n);
            layers.Add(new NetFlatten());
            layers.Add(new NetLinear(16, 5, V(5 * 16, -0.4 * gain, 0.8 * gain), hiddenBias ? V(5, -0.2, 0.3) : null));
            layers.AddRange(Norm(5));
            layers.Add(n);
            layers.Add(new NetLinear(5, Classes, V(Classes * 5, -1, 1), V(Classes, -0.2, 0.2)));
            var first = Enumerable.Range(0, Batch).Select(_ => V(2 * 36, 0, 1.5)).ToArray();
            var c = new NetworkCase
            {
                Estimator = estimator,
                InputShape = [2, 6, 6],
                Inputs = Enumerable.Range(0, steps).Select(t => t == 0 || input == "constant" ? first : Enumerable.Range(0, Batch).Select(_ => V(2 * 36, 0, 1.5)).ToArray()).ToArray(),
                Labels = Enumerable.Range(0, Batch).Select(b => (b + seed) % Classes).ToArray(),
                Layers = [.. layers],
                LossKind = loss,
                MseWeight = 0.3,
                Folded = modes[0] == "folded",
                MeanOutput = modes.Contains("mean-output"),
                PerWindowUpdate = modes.Contains("per-window"),
                AllTrace = modes.Contains("all-trace"),
                OfficialScale = modes.Contains("official"),
                KSet = estimator == "sltt-k" ? [2, 4] : null,
            };
            if (estimator == "tt-lbptt")
            {
                c.Window = 2;
                c.Blocks = [[0], [1, 2]];
                c.AuxHeads = [[new NetGlobalAvgPool(), new NetLinear(3, Classes, V(Classes * 3, -1, 1), V(Classes, -0.2, 0.2))]];
            }
            var result = NetworkReference.Run(c);
            bool spikes = result.Spikes.All(l => l.Any(t => t.Any(b => b.Contains(1.0))));
            if (result.Margin > 1e-3 && spikes) return c;
        }
    }
}

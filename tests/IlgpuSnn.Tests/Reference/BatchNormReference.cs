// Independent double-precision reference for fully connected spiking networks with biases, BatchNorm and a batch of
// B samples, written from the definitions (../shared/design/estimators.md §3-§6 and issue 14), not from library code:
//   layer l:  z = W·x + b;  BatchNorm as PyTorch's BatchNorm1d in training mode over a group of samples (one step's B
//             samples when per step, all T·B or a window's k·B when folded): biased variance to normalise, unbiased
//             variance and momentum 0.1 for the running statistics (from 0 and 1, updated once per group);
//             u[t] = λ·v[t−1] + z[t], s = H(u − Vth), v = u − Vth·s (soft) or u·(1 − s) (hard).
//   read-out  o[t] = Wo·s_L[t] + bo.
//   loss      per sample ℓ: half-se ½‖o − y‖², mse (1/C)‖o − y‖², ce −log softmax(o)[y], ce+mse (1−λ)·ce + λ·mse(onehot);
//             L = mean over the batch; per step (1/T)Σ_t, or on the mean output ō.
//   methods   bptt: the whole unrolled graph; sltt: every temporal edge v[t−1] → u[t] cut; tt-lbptt (one block):
//             the carried state cut at every window start. The gradient at fixed weights is the sum over updates.
namespace IlgpuSnn.Tests.Reference;

/// <summary>One spiking layer of a <see cref="BatchNormCase"/>.</summary>
public sealed record BatchNormLayer(double[][] Weight, double[]? Bias, double[]? Gamma, double[]? Beta, double Eps = 1e-5);

/// <summary>A batched case with biases and BatchNorm.</summary>
public sealed class BatchNormCase
{
    public string Estimator { get; set; } = "bptt";
    public double[][][] Inputs { get; set; } = [];   // [T][B][in]
    public double[][] Target { get; set; } = [];     // [B][C]
    public BatchNormLayer[] Layers { get; set; } = [];
    public double[][] Readout { get; set; } = [];
    public double[]? ReadoutBias { get; set; }
    public double Decay { get; set; } = 0.5;
    public double Threshold { get; set; } = 1.0;
    public bool HardReset { get; set; }
    public bool DetachReset { get; set; }
    public bool MeanOutput { get; set; }
    public string LossKind { get; set; } = "half-se";
    public double MseWeight { get; set; } = 0.05;
    public bool FoldedStatistics { get; set; }
    public int? Window { get; set; }
}

/// <summary>Gradients and running statistics of a <see cref="BatchNormCase"/>.</summary>
public sealed class BatchNormResult
{
    public double Loss { get; set; }
    public double[][][] Weights { get; set; } = [];
    public double[]?[] Biases { get; set; } = [];
    public double[]?[] Gamma { get; set; } = [];
    public double[]?[] Beta { get; set; } = [];
    public double[][] Readout { get; set; } = [];
    public double[]? ReadoutBias { get; set; }
    public double[]?[] RunningMean { get; set; } = [];
    public double[]?[] RunningVariance { get; set; } = [];
    public double[][][][] Spikes { get; set; } = []; // [l][t][b][n]

    /// <summary>The smallest |u − Vth| met: how far the case is from a spike that rounding could flip.</summary>
    public double Margin { get; set; } = double.MaxValue;
}

/// <summary>The reference itself.</summary>
public static class BatchNormReference
{
    private const double Momentum = 0.1;

    public static BatchNormResult Run(BatchNormCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        int T = c.Inputs.Length, B = c.Inputs[0].Length, L = c.Layers.Length, C = c.Readout.Length;
        var sg = ReferenceEstimators.Surrogate("sigmoid", 4.0);
        var tape = new ScalarTape();
        int[][] Leaves(double[][] m) => m.Select(r => r.Select(tape.Leaf).ToArray()).ToArray();
        int[]? LeafVector(double[]? v) => v?.Select(tape.Leaf).ToArray();
        var w = c.Layers.Select(l => Leaves(l.Weight)).ToArray();
        var bias = c.Layers.Select(l => LeafVector(l.Bias)).ToArray();
        var gamma = c.Layers.Select(l => LeafVector(l.Gamma)).ToArray();
        var beta = c.Layers.Select(l => LeafVector(l.Beta)).ToArray();
        var wo = Leaves(c.Readout);
        var bo = LeafVector(c.ReadoutBias);
        var result = new BatchNormResult
        {
            RunningMean = c.Layers.Select(l => l.Gamma is null ? null : new double[l.Weight.Length]).ToArray(),
            RunningVariance = c.Layers.Select(l => l.Gamma is null ? null : Enumerable.Repeat(1.0, l.Weight.Length).ToArray()).ToArray(),
            Spikes = c.Layers.Select(l => Enumerable.Range(0, T).Select(_ => new double[B][]).ToArray()).ToArray(),
        };

        // The unit of time the graph is cut at (a window for tt-lbptt, one step for sltt, the whole sequence for bptt)
        // and the group BatchNorm normalises over (the pass's steps when folded, one step otherwise).
        int cutEvery = c.Estimator switch
        {
            "bptt" => T,
            "sltt" => 1,
            "tt-lbptt" => c.Window ?? T,
            _ => throw new ArgumentException($"reference: no BatchNorm form for {c.Estimator}"),
        };
        int group = c.FoldedStatistics ? cutEvery : 1;

        var v = new int[L][][]; // carried post-reset potential [l][b][n]
        var o = new int[T][][];  // [t][b][k]
        for (int start = 0; start < T; start += group)
        {
            int steps = Math.Min(group, T - start);
            var x = Enumerable.Range(start, steps).Select(t => c.Inputs[t].Select(r => r.Select(tape.Leaf).ToArray()).ToArray()).ToArray();
            for (int l = 0; l < L; l++)
            {
                int m = c.Layers[l].Weight.Length;
                // z[k][b][i] for the group's steps.
                var z = x.Select(xs => xs.Select(xb => Enumerable.Range(0, m).Select(i =>
                {
                    int dot = tape.Dot(w[l][i], xb);
                    return bias[l] is { } bl ? tape.Add(dot, bl[i]) : dot;
                }).ToArray()).ToArray()).ToArray();
                if (gamma[l] is { } g) z = Normalise(tape, z, g, beta[l]!, c.Layers[l].Eps, result.RunningMean[l]!, result.RunningVariance[l]!);
                var spikes = new int[steps][][];
                for (int k = 0; k < steps; k++)
                {
                    int t = start + k;
                    bool cut = t % cutEvery == 0;
                    spikes[k] = new int[B][];
                    for (int b = 0; b < B; b++)
                    {
                        var s = new int[m];
                        var vNew = new int[m];
                        for (int i = 0; i < m; i++)
                        {
                            int u = t == 0 ? z[k][b][i] : tape.Add(tape.Scale(cut ? tape.StopGrad(v[l][b][i]) : v[l][b][i], c.Decay), z[k][b][i]);
                            result.Margin = Math.Min(result.Margin, Math.Abs(tape.Value(u) - c.Threshold));
                            s[i] = tape.Spike(u, c.Threshold, sg);
                            int sr = c.DetachReset ? tape.StopGrad(s[i]) : s[i];
                            vNew[i] = c.HardReset ? tape.Mul(u, tape.OneMinus(sr)) : tape.Sub(u, tape.Scale(sr, c.Threshold));
                        }
                        v[l] ??= new int[B][];
                        v[l][b] = vNew;
                        spikes[k][b] = s;
                        result.Spikes[l][t][b] = s.Select(tape.Value).ToArray();
                    }
                }
                x = spikes;
            }
            for (int k = 0; k < steps; k++)
                o[start + k] = x[k].Select(sb => wo.Select((row, j) => bo is null ? tape.Dot(row, sb) : tape.Add(tape.Dot(row, sb), bo[j])).ToArray()).ToArray();
        }

        // ∂L/∂o[t][b] from the loss definition (seeds of the reverse sweep).
        var seeds = new List<(int, double)>();
        double loss = 0;
        if (c.MeanOutput)
        {
            for (int b = 0; b < B; b++)
            {
                var mean = Enumerable.Range(0, C).Select(j => Enumerable.Range(0, T).Average(t => tape.Value(o[t][b][j]))).ToArray();
                loss += Loss(c, mean, c.Target[b], out var d) / B;
                for (int t = 0; t < T; t++)
                    for (int j = 0; j < C; j++) seeds.Add((o[t][b][j], d[j] / (T * B)));
            }
        }
        else
        {
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++)
                {
                    loss += Loss(c, o[t][b].Select(tape.Value).ToArray(), c.Target[b], out var d) / (T * B);
                    for (int j = 0; j < C; j++) seeds.Add((o[t][b][j], d[j] / (T * B)));
                }
        }
        var grad = tape.Backward(seeds);
        double[][] Grads(int[][] m) => m.Select(r => r.Select(n => grad[n]).ToArray()).ToArray();
        double[]? GradVector(int[]? n) => n?.Select(i => grad[i]).ToArray();
        result.Loss = loss;
        result.Weights = w.Select(Grads).ToArray();
        result.Biases = bias.Select(GradVector).ToArray();
        result.Gamma = gamma.Select(GradVector).ToArray();
        result.Beta = beta.Select(GradVector).ToArray();
        result.Readout = Grads(wo);
        result.ReadoutBias = GradVector(bo);
        return result;
    }

    /// <summary>BatchNorm over every sample of the group, per neuron; updates the running statistics once.</summary>
    private static int[][][] Normalise(ScalarTape tape, int[][][] z, int[] gamma, int[] beta, double eps, double[] runningMean, double[] runningVar)
    {
        int steps = z.Length, batch = z[0].Length, m = gamma.Length, count = steps * batch;
        var y = z.Select(zs => zs.Select(_ => new int[m]).ToArray()).ToArray();
        for (int i = 0; i < m; i++)
        {
            var values = z.SelectMany(zs => zs.Select(zb => zb[i])).ToArray();
            int mean = tape.Node(values.Average(tape.Value), values, Enumerable.Repeat(1.0 / count, count).ToArray());
            var diff = values.Select(n => tape.Sub(n, mean)).ToArray();
            var squares = diff.Select(d => tape.Mul(d, d)).ToArray();
            int variance = tape.Node(squares.Average(tape.Value), squares, Enumerable.Repeat(1.0 / count, count).ToArray());
            double var = tape.Value(variance);
            int inv = tape.Node(1 / Math.Sqrt(var + eps), [variance], [-0.5 * Math.Pow(var + eps, -1.5)]);
            for (int k = 0; k < steps; k++)
                for (int b = 0; b < batch; b++)
                    y[k][b][i] = tape.Add(tape.Mul(gamma[i], tape.Mul(diff[k * batch + b], inv)), beta[i]);
            runningMean[i] = (1 - Momentum) * runningMean[i] + Momentum * tape.Value(mean);
            runningVar[i] = (1 - Momentum) * runningVar[i] + Momentum * var * count / (count - 1);
        }
        return y;
    }

    /// <summary>ℓ(o, y) of one sample and its gradient.</summary>
    private static double Loss(BatchNormCase c, double[] o, double[] y, out double[] d) =>
        ReferenceLoss.Of(c.LossKind, o, y, c.MseWeight, out d);
}

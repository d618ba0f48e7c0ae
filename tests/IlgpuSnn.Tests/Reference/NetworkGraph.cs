namespace IlgpuSnn.Tests.Reference;

/// <summary>
/// The parameters of a <see cref="NetworkCase"/> as leaves of one <see cref="ScalarTape"/>, and the layers' operations
/// on a group of activations [k][b][j] (k steps of B samples, j the flat per-sample index): every operation is written
/// from its definition, in double precision.
/// </summary>
internal sealed class NetworkGraph
{
    public const double Momentum = 0.1;

    private readonly Dictionary<NetLayer, int> firstParameter = new(ReferenceEqualityComparer.Instance);

    public NetworkGraph(NetworkCase c)
    {
        foreach (var layer in c.Layers.Concat((c.AuxHeads ?? []).SelectMany(h => h))) Register(layer);
    }

    public ScalarTape Tape { get; } = new();

    /// <summary>Leaves of every parameter, in the library's order (see <see cref="NetworkResult.Gradients"/>).</summary>
    public List<int[]> Parameters { get; } = [];

    private void Register(NetLayer layer)
    {
        int[] Leaves(double[] v) => v.Select(Tape.Leaf).ToArray();
        firstParameter[layer] = Parameters.Count;
        switch (layer)
        {
            case NetConv conv:
                Parameters.Add(Leaves(conv.Weight));
                if (conv.Bias is not null) Parameters.Add(Leaves(conv.Bias));
                break;
            case NetLinear linear:
                Parameters.Add(Leaves(linear.Weight));
                if (linear.Bias is not null) Parameters.Add(Leaves(linear.Bias));
                break;
            case NetBatchNorm bn:
                Parameters.Add(Leaves(bn.Gamma));
                Parameters.Add(Leaves(bn.Beta));
                break;
        }
    }

    /// <summary>∂/∂parameter of a reverse sweep, in the order of <see cref="Parameters"/>.</summary>
    public List<double[]> Gradients(double[] grad) => Parameters.Select(p => p.Select(n => grad[n]).ToArray()).ToList();

    /// <summary>Leaves holding the values of <paramref name="values"/> [k][b][j].</summary>
    public int[][][] Constants(double[][][] values) => values.Select(s => s.Select(b => b.Select(Tape.Leaf).ToArray()).ToArray()).ToArray();

    public double[][][] Values(int[][][] nodes) => nodes.Select(s => s.Select(b => b.Select(Tape.Value).ToArray()).ToArray()).ToArray();

    /// <summary>The per-sample output shape of <paramref name="layer"/>.</summary>
    public static int[] OutputShape(NetLayer layer, int[] shape) => layer switch
    {
        NetConv c => [c.OutChannels, (shape[1] + 2 * c.Padding - c.Kernel) / c.Stride + 1, (shape[2] + 2 * c.Padding - c.Kernel) / c.Stride + 1],
        NetLinear l => [l.Out],
        NetAvgPool p => [shape[0], (shape[1] - p.Kernel) / p.Stride + 1, (shape[2] - p.Kernel) / p.Stride + 1],
        NetMaxPool p => [shape[0], (shape[1] - p.Kernel) / p.Stride + 1, (shape[2] - p.Kernel) / p.Stride + 1],
        NetFlatten => [shape.Aggregate(1, (a, b) => a * b)],
        NetGlobalAvgPool => [shape[0]],
        _ => shape,
    };

    /// <summary>
    /// A convolution or linear layer: z = Op(x) + biasScale·b. With <paramref name="presynaptic"/> the weights' local
    /// derivatives are those values instead of x's (OTTT: the value from spikes, the weight gradient from traces).
    /// </summary>
    public int[][][] Synapse(NetLayer layer, int[] shape, int[][][] x, double[][][]? presynaptic, double biasScale = 1.0)
    {
        var w = Parameters[firstParameter[layer]];
        int[]? bias = layer switch
        {
            NetConv { Bias: not null } => Parameters[firstParameter[layer] + 1],
            NetLinear { Bias: not null } => Parameters[firstParameter[layer] + 1],
            _ => null,
        };
        var outShape = OutputShape(layer, shape);
        var y = new int[x.Length][][];
        for (int k = 0; k < x.Length; k++)
        {
            y[k] = new int[x[k].Length][];
            for (int b = 0; b < x[k].Length; b++)
            {
                var xb = x[k][b];
                var pb = presynaptic?[k][b];
                var outputs = new List<int>();
                foreach (var (weights, inputs) in Connections(layer, shape, outShape))
                {
                    var wn = weights.Select(i => w[i]).ToArray();
                    var xn = inputs.Select(i => xb[i]).ToArray();
                    int dot = pb is null ? Tape.Dot(wn, xn) : Tape.Dot(wn, xn, inputs.Select(i => pb[i]).ToArray());
                    outputs.Add(dot);
                }
                var row = outputs.ToArray();
                if (bias is not null)
                {
                    int perChannel = row.Length / bias.Length;
                    for (int j = 0; j < row.Length; j++)
                        row[j] = Tape.Add(row[j], biasScale == 1.0 ? bias[j / perChannel] : Tape.Scale(bias[j / perChannel], biasScale));
                }
                y[k][b] = row;
            }
        }
        return y;
    }

    /// <summary>For every output (row-major): the weight indices and the input indices it sums over.</summary>
    private static IEnumerable<(int[] Weights, int[] Inputs)> Connections(NetLayer layer, int[] shape, int[] outShape)
    {
        if (layer is NetLinear l)
        {
            for (int o = 0; o < l.Out; o++)
                yield return (Enumerable.Range(o * l.In, l.In).ToArray(), Enumerable.Range(0, l.In).ToArray());
            yield break;
        }
        var c = (NetConv)layer;
        int h = shape[1], wd = shape[2], k = c.Kernel;
        for (int oc = 0; oc < c.OutChannels; oc++)
            for (int oy = 0; oy < outShape[1]; oy++)
                for (int ox = 0; ox < outShape[2]; ox++)
                {
                    var weights = new List<int>();
                    var inputs = new List<int>();
                    for (int ic = 0; ic < c.InChannels; ic++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                            {
                                int iy = oy * c.Stride - c.Padding + ky, ix = ox * c.Stride - c.Padding + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                weights.Add(((oc * c.InChannels + ic) * k + ky) * k + kx);
                                inputs.Add((ic * h + iy) * wd + ix);
                            }
                    yield return (weights.ToArray(), inputs.ToArray());
                }
    }

    /// <summary>Pooling, flatten and global average pooling on nodes.</summary>
    public int[][][] Reshape(NetLayer layer, int[] shape, int[][][] x) =>
        x.Select(s => s.Select(xb => Windows(layer, shape).Select(win => Pool(layer, win.Select(i => xb[i]).ToArray())).ToArray()).ToArray()).ToArray();

    /// <summary>The same layer on plain values (OTTT's traces travel through pooling and flatten like the spikes).</summary>
    public static double[][][] Reshape(NetLayer layer, int[] shape, double[][][] x) =>
        x.Select(s => s.Select(xb => Windows(layer, shape).Select(win => layer is NetMaxPool ? win.Max(i => xb[i]) : win.Average(i => xb[i])).ToArray()).ToArray()).ToArray();

    private int Pool(NetLayer layer, int[] window)
    {
        if (window.Length == 1) return window[0];
        if (layer is NetMaxPool)
        {
            int best = window[0];
            foreach (int n in window)
                if (Tape.Value(n) > Tape.Value(best)) best = n;
            return Tape.Node(Tape.Value(best), [best], [1.0]);
        }
        return Tape.Node(window.Average(Tape.Value), window, Enumerable.Repeat(1.0 / window.Length, window.Length).ToArray());
    }

    /// <summary>For every output (row-major), the input indices it reads.</summary>
    private static List<int[]> Windows(NetLayer layer, int[] shape)
    {
        var windows = new List<int[]>();
        switch (layer)
        {
            case NetFlatten:
                for (int i = 0; i < shape.Aggregate(1, (a, b) => a * b); i++) windows.Add([i]);
                break;
            case NetGlobalAvgPool:
            {
                int plane = shape[1] * shape[2];
                for (int c = 0; c < shape[0]; c++) windows.Add(Enumerable.Range(c * plane, plane).ToArray());
                break;
            }
            case NetAvgPool or NetMaxPool:
            {
                int k = layer is NetAvgPool a ? a.Kernel : ((NetMaxPool)layer).Kernel;
                int stride = layer is NetAvgPool a2 ? a2.Stride : ((NetMaxPool)layer).Stride;
                var o = OutputShape(layer, shape);
                for (int c = 0; c < shape[0]; c++)
                    for (int oy = 0; oy < o[1]; oy++)
                        for (int ox = 0; ox < o[2]; ox++)
                        {
                            var win = new List<int>();
                            for (int ky = 0; ky < k; ky++)
                                for (int kx = 0; kx < k; kx++)
                                    win.Add((c * shape[1] + oy * stride + ky) * shape[2] + ox * stride + kx);
                            windows.Add(win.ToArray());
                        }
                break;
            }
            default: throw new ArgumentException($"reference: {layer.GetType().Name} is not a shape layer");
        }
        return windows;
    }

    /// <summary>
    /// BatchNorm in training mode over every sample and position of the group, per channel: biased variance to
    /// normalise; the running statistics (momentum 0.1, unbiased variance) updated once. Reports each channel's batch
    /// mean and biased variance through <paramref name="observe"/>.
    /// </summary>
    public int[][][] Normalise(NetBatchNorm bn, int[] shape, int[][][] x, double[] runningMean, double[] runningVar,
        Action<double[], double[]>? observe = null)
    {
        var gamma = Parameters[firstParameter[bn]];
        var beta = Parameters[firstParameter[bn] + 1];
        int channels = shape[0], plane = shape.Skip(1).Aggregate(1, (a, b) => a * b);
        var y = x.Select(s => s.Select(xb => new int[xb.Length]).ToArray()).ToArray();
        var means = new double[channels];
        var variances = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            var places = new List<(int K, int B, int J)>();
            for (int k = 0; k < x.Length; k++)
                for (int b = 0; b < x[k].Length; b++)
                    for (int p = 0; p < plane; p++) places.Add((k, b, c * plane + p));
            var values = places.Select(p => x[p.K][p.B][p.J]).ToArray();
            int count = values.Length;
            var uniform = Enumerable.Repeat(1.0 / count, count).ToArray();
            int mean = Tape.Node(values.Average(Tape.Value), values, uniform);
            var diff = values.Select(n => Tape.Sub(n, mean)).ToArray();
            var squares = diff.Select(d => Tape.Mul(d, d)).ToArray();
            int variance = Tape.Node(squares.Average(Tape.Value), squares, uniform);
            double v = Tape.Value(variance);
            int inv = Tape.Node(1 / Math.Sqrt(v + bn.Eps), [variance], [-0.5 * Math.Pow(v + bn.Eps, -1.5)]);
            for (int i = 0; i < count; i++)
            {
                var (k, b, j) = places[i];
                y[k][b][j] = Tape.Add(Tape.Mul(gamma[c], Tape.Mul(diff[i], inv)), beta[c]);
            }
            means[c] = Tape.Value(mean);
            variances[c] = v;
            runningMean[c] = (1 - Momentum) * runningMean[c] + Momentum * means[c];
            runningVar[c] = (1 - Momentum) * runningVar[c] + Momentum * v * count / (count - 1);
        }
        observe?.Invoke(means, variances);
        return y;
    }

    /// <summary>
    /// BatchNorm whose statistics are given rather than taken from the batch (RateBP's rate pass, spec §7.2): the value
    /// γ·(c − μ)/σ + β, and the standard BatchNorm backward with σ in place of the batch's:
    /// ∂c_i = (1/σ)·[g_i − mean(g) − x̂_i·mean(g⊙x̂)], x̂ = (c − μ)/σ, the means over the channel's B·H·W values.
    /// </summary>
    public int[][][] NormaliseWith(NetBatchNorm bn, int[] shape, int[][][] x, double[] mu, double[] sigma)
    {
        var gamma = Parameters[firstParameter[bn]];
        var beta = Parameters[firstParameter[bn] + 1];
        int channels = shape[0], plane = shape.Skip(1).Aggregate(1, (a, b) => a * b);
        var y = x.Select(s => s.Select(xb => new int[xb.Length]).ToArray()).ToArray();
        for (int c = 0; c < channels; c++)
        {
            var places = new List<(int K, int B, int J)>();
            for (int k = 0; k < x.Length; k++)
                for (int b = 0; b < x[k].Length; b++)
                    for (int p = 0; p < plane; p++) places.Add((k, b, c * plane + p));
            var values = places.Select(p => x[p.K][p.B][p.J]).ToArray();
            int n = values.Length;
            var hat = values.Select(v => (Tape.Value(v) - mu[c]) / sigma[c]).ToArray();
            for (int i = 0; i < n; i++)
            {
                var locals = new double[n];
                for (int j = 0; j < n; j++) locals[j] = ((i == j ? 1.0 : 0.0) - 1.0 / n - hat[i] * hat[j] / n) / sigma[c];
                int xhat = Tape.Node(hat[i], values, locals);
                var (k, b, jj) = places[i];
                y[k][b][jj] = Tape.Add(Tape.Mul(gamma[c], xhat), beta[c]);
            }
        }
        return y;
    }
}

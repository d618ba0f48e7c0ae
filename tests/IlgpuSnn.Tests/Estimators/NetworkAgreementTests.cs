using IlgpuSnn.Estimators;
using IlgpuSnn.Layers;
using IlgpuSnn.Neurons;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Reference;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// Every estimator on small convolutional networks (convolution with stride and padding, average or max pooling,
/// BatchNorm2d and BatchNorm1d, biases, three spiking layers, a batch of 3) against the independent float64
/// <see cref="NetworkReference"/>: the spikes, the loss, the gradient of every parameter (weights, biases, γ, β, the
/// read-out and the auxiliary heads), each update's share for the methods that update inside the sequence, and the
/// running statistics; with time-varying and constant input and each BatchNorm mode the method allows.
/// </summary>
public sealed class NetworkAgreementTests(TestDevice fixture)
{
    /// <summary>estimator, bn (none | per-step | folded), input (varying | constant), loss, neuron, pooling.</summary>
    public static TheoryData<string, string, string, string, string, string> Cases() => new()
    {
        { "bptt", "folded", "varying", "ce", "lif", "avg" },
        { "bptt", "per-step", "varying", "ce+mse", "lif", "avg" },
        { "bptt", "folded", "constant", "mse", "if-hard", "avg" },
        { "bptt", "per-step", "constant", "ce", "triangle-detach", "max" },
        { "bptt", "folded:mean-output", "varying", "ce", "lif-detach", "avg" },
        { "sltt", "per-step", "varying", "ce", "triangle", "avg" },
        { "sltt", "per-step", "constant", "ce+mse", "lif", "max" },
        { "sltt-k", "per-step", "varying", "ce", "lif", "avg" },
        { "tt-lbptt", "folded", "varying", "ce", "lif", "avg" },
        { "tt-lbptt", "per-step", "constant", "ce+mse", "lif-hard", "max" },
        { "tt-lbptt", "folded:per-window", "varying", "mse", "lif", "avg" },
        { "tt-lbptt", "per-step:per-window", "varying", "ce", "triangle", "avg" },
        { "ottt-a", "per-step", "varying", "ce+mse", "lif", "avg" },
        { "ottt-a", "per-step:all-trace", "constant", "ce", "lif", "avg" },
        { "ottt-o", "per-step", "varying", "ce", "lif-hard", "avg" },
        { "ottt-o", "none", "constant", "mse", "triangle", "avg" },
        { "ottt-a", "per-step", "varying", "ce", "lif", "max" },
        { "ratebp", "none", "varying", "ce", "lif", "max" },
        { "saf-e", "none", "constant", "ce", "if", "avg" },
        { "saf-e", "per-step", "constant", "ce", "lif", "avg" },
        { "saf-f", "per-step", "constant", "ce+mse", "lif", "avg" },
        { "saf-e", "none", "varying", "ce", "if", "avg" },
        { "saf-f", "none", "varying", "mse", "lif", "avg" },
        { "ratebp", "none", "varying", "ce", "lif", "avg" },
        { "ratebp", "none:mean-output", "constant", "ce", "lif-detach", "avg" },
        { "ratebp", "none:official", "varying", "ce+mse", "triangle-hard", "avg" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Library_matches_reference(string estimator, string bn, string input, string loss, string neuron, string pool) =>
        Compare(NetworkCases.Conv(estimator, bn, input, loss, neuron, pool));

    /// <summary>RateBP's BatchNorm in the official code's two modes: 's' (per step) and 'm' (folded over T·B).</summary>
    [Theory]
    [InlineData("per-step", "varying")]
    [InlineData("per-step:mean-output", "constant")]
    [InlineData("folded", "varying")]
    [InlineData("folded:mean-output", "constant")]
    public void RateBp_batchnorm_modes_match_reference(string bn, string input)
    {
        try
        {
            EstimatorFactory.Create("ratebp", new EstimatorOptions { BatchNormStats = BatchNormStatistics.Folded }).Dispose();
        }
        catch (ArgumentException)
        {
            Assert.Skip("awaiting RateBP BN modes (official 's' and 'm', issue 14 item 3): this library refuses folded statistics for ratebp");
        }
        Compare(NetworkCases.Conv("ratebp", bn, input, "ce", "lif-detach", "avg"));
    }

    [Fact]
    public void Saf_refuses_batchnorm_with_time_varying_input()
    {
        var c = NetworkCases.Conv("saf-e", "per-step", "varying", "ce", "lif", "avg");
        var e = Assert.Throws<NotSupportedException>(() => RunLibrary(c));
        Assert.Contains("changes over time", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sltt_k_with_every_step_equals_sltt()
    {
        var c = NetworkCases.Conv("sltt-k", "per-step", "varying", "ce", "lif", "avg");
        c.KSet = Enumerable.Range(1, NetworkCases.Steps).ToArray();
        var k = RunLibrary(c);
        c.Estimator = "sltt";
        var full = NetworkReference.Run(c);
        for (int p = 0; p < full.Gradients.Count; p++) Close(full.Gradients[p], k.Gradients[p], $"parameter {p}");
    }

    [Fact]
    public void Sltt_k_draws_k_steps_without_replacement()
    {
        // Without a fixed set the library draws K = 2 of the T = 4 steps: its gradient is SLTT-K's for exactly one of
        // the six possible sets.
        var c = NetworkCases.Conv("sltt-k", "per-step", "varying", "ce", "lif", "avg");
        c.KSet = null;
        var drawn = RunLibrary(c, k: 2);
        int[][] sets = [[1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4]];
        int matches = sets.Count(set =>
        {
            c.KSet = set;
            var expected = NetworkReference.Run(c).Gradients;
            return expected.Zip(drawn.Gradients).All(p => p.First.Zip(p.Second).All(v => Math.Abs(v.First - v.Second) <= 1e-5 + 1e-3 * Math.Abs(v.First)));
        });
        Assert.Equal(1, matches);
    }

    [Fact]
    public void Reference_methods_differ_on_this_network()
    {
        // The agreement above could pass with one shared mistake only if the methods coincided: they must not here.
        var names = new[] { "bptt", "sltt", "ottt-a", "ratebp" };
        var grads = names.Select(n => NetworkReference.Run(NetworkCases.Conv(n, "none", "varying", "ce", "lif", "avg")).Gradients[0]).ToArray();
        for (int i = 0; i < names.Length; i++)
            for (int j = i + 1; j < names.Length; j++)
                Assert.True(grads[i].Zip(grads[j]).Max(p => Math.Abs(p.First - p.Second)) > 1e-4, $"{names[i]} and {names[j]} coincide");
    }

    private void Compare(NetworkCase c)
    {
        var expected = NetworkReference.Run(c);
        var actual = RunLibrary(c);
        for (int n = 0; n < expected.Spikes.Length; n++)
            for (int t = 0; t < c.Steps; t++)
                Assert.Equal(expected.Spikes[n][t].SelectMany(s => s), actual.Spikes[n][t].SelectMany(s => s));
        Assert.Contains(1.0, expected.Spikes.SelectMany(l => l.SelectMany(t => t.SelectMany(b => b))));
        Assert.True(Math.Abs(expected.Loss - actual.Loss) <= 1e-5 + 1e-4 * Math.Abs(expected.Loss), $"loss: expected {expected.Loss}, got {actual.Loss}");
        Assert.Equal(expected.Gradients.Count, actual.Gradients.Count);
        for (int p = 0; p < expected.Gradients.Count; p++) Close(expected.Gradients[p], actual.Gradients[p], $"parameter {p}");
        if (expected.Updates.Count > 1)
        {
            Assert.Equal(expected.Updates.Count, actual.Updates.Count);
            for (int u = 0; u < expected.Updates.Count; u++)
                for (int p = 0; p < expected.Gradients.Count; p++) Close(expected.Updates[u][p], actual.Updates[u][p], $"update {u} parameter {p}");
        }
        for (int l = 0; l < c.Layers.Length; l++)
        {
            if (expected.RunningMean[l] is null) continue;
            Close(expected.RunningMean[l]!, actual.RunningMean[l]!, $"running mean of layer {l}");
            Close(expected.RunningVariance[l]!, actual.RunningVariance[l]!, $"running variance of layer {l}");
        }
    }

    private static void Close(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-3 * Math.Max(Math.Abs(expected[i]), 0.1 * scale),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    private NetworkResult RunLibrary(NetworkCase c, int? k = null)
    {
        var device = fixture.Device;
        using var network = SpikingNetwork.Build(device, c.InputShape, b =>
        {
            foreach (var layer in c.Layers)
            {
                switch (layer)
                {
                    case NetConv cv: b.Conv2d(cv.OutChannels, cv.Kernel, cv.Stride, cv.Padding, cv.Bias is not null); break;
                    case NetLinear l: b.Linear(l.Out, l.Bias is not null); break;
                    case NetBatchNorm n: b.BatchNorm(0.1f, (float)n.Eps); break;
                    case NetAvgPool p: b.AvgPool2d(p.Kernel, p.Stride); break;
                    case NetMaxPool p: b.MaxPool2d(p.Kernel, p.Stride); break;
                    case NetFlatten: b.Flatten(); break;
                    case NetNeuron n:
                        b.Lif(new NeuronSpec((float)n.Decay, (float)n.Threshold, n.HardReset ? ResetMode.Hard : ResetMode.Soft, n.DetachReset,
                            Surrogate.Parse(n.Surrogate, (float)n.Alpha)));
                        break;
                    default: throw new ArgumentException($"no library layer for {layer}");
                }
            }
        });
        var values = ParameterValues(c.Layers);
        for (int i = 0; i < values.Count; i++) network.Parameters[i].CopyFrom(values[i].Select(v => (float)v).ToArray());

        var statistics = c.Folded ? BatchNormStatistics.Folded : BatchNormStatistics.PerStep;
        using var estimator = c.AuxHeads is { } heads
            ? new TruncatedLocalBptt(c.Window ?? c.Steps, c.Blocks, c.PerWindowUpdate, (block, _, net) => heads[block].Select(l => l switch
            {
                NetGlobalAvgPool => (Layer)new GlobalAvgPool(),
                NetLinear lin => new Linear(net.Device, Matrix(lin.Weight, lin.Out, lin.In), lin.Bias?.Select(v => (float)v).ToArray()),
                _ => throw new ArgumentException($"no head layer for {l}"),
            }).ToArray()) { BatchNormStats = statistics }
            : EstimatorFactory.Create(c.Estimator, new EstimatorOptions
            {
                Window = c.Window,
                Blocks = c.Blocks,
                PerWindowUpdate = c.PerWindowUpdate,
                KSet = c.KSet,
                K = k,
                AllTrace = c.AllTrace,
                OfficialScale = c.OfficialScale,
                BatchNormStats = statistics,
            });
        estimator.Attach(network);
        var parameters = network.Parameters.Concat(estimator.ExtraParameters).ToList();
        var observed = new NetworkResult { Spikes = c.Layers.OfType<NetNeuron>().Select(_ => new double[c.Steps][][]).ToArray() };
        var neuronLayers = network.NeuronLayerIndices.ToList();
        using var scope = TensorScope.Begin();
        var input = Tensor.FromArray(device, c.Inputs.SelectMany(s => s.SelectMany(x => x)).Select(v => (float)v).ToArray(), [c.Steps, c.Batch, .. c.InputShape]);
        var labels = Tensor.FromArray(device, c.Labels.Select(l => (float)l).ToArray(), c.Batch);
        var criterion = c.LossKind switch
        {
            "ce" => Criterion.CrossEntropy,
            "mse" => Criterion.SquaredError,
            "ce+mse" => Criterion.CrossEntropyWithSquaredError,
            _ => throw new ArgumentException($"no criterion for {c.LossKind}"),
        };
        var loss = new SequenceLoss(criterion, c.MeanOutput ? LossReduction.MeanOutput : LossReduction.PerStep, labels, (float)c.MseWeight);
        var result = estimator.Run(network, input, loss, new EstimatorContext
        {
            Update = () =>
            {
                observed.Updates.Add(parameters.Select(p => (p.Grad?.ToArray() ?? new float[p.Length]).Select(v => (double)v).ToArray()).ToList());
                foreach (var p in parameters)
                    if (p.Grad is { } g) Ops.FillInPlace(g, 0f);
            },
            OnSpikes = (layer, first, s) =>
            {
                var host = s.ToArray();
                int steps = s.Dim(0) / c.Batch, perSample = host.Length / s.Dim(0);
                for (int k = 0; k < steps; k++)
                    observed.Spikes[neuronLayers.IndexOf(layer)][first + k] = Enumerable.Range(0, c.Batch)
                        .Select(b => host.Skip((k * c.Batch + b) * perSample).Take(perSample).Select(v => (double)v).ToArray()).ToArray();
            },
        });
        observed.Loss = result.Loss;
        observed.Gradients = NetworkReference.Sum(observed.Updates);
        observed.RunningMean = network.Layers.Select(l => l is BatchNorm n ? n.RunningMean.ToArray().Select(v => (double)v).ToArray() : null).ToArray();
        observed.RunningVariance = network.Layers.Select(l => l is BatchNorm n ? n.RunningVariance.ToArray().Select(v => (double)v).ToArray() : null).ToArray();
        return observed;
    }

    private static float[][] Matrix(double[] w, int rows, int cols) =>
        Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, cols).Select(k => (float)w[r * cols + k]).ToArray()).ToArray();

    /// <summary>The parameters' values in the library's order (weight then bias; γ then β).</summary>
    private static List<double[]> ParameterValues(IEnumerable<NetLayer> layers) => layers.SelectMany(l => l switch
    {
        NetConv cv => cv.Bias is null ? [cv.Weight] : new[] { cv.Weight, cv.Bias },
        NetLinear lin => lin.Bias is null ? [lin.Weight] : new[] { lin.Weight, lin.Bias },
        NetBatchNorm n => [n.Gamma, n.Beta],
        _ => Array.Empty<double[]>(),
    }).ToList();
}

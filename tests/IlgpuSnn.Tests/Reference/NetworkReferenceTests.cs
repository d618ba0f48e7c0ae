namespace IlgpuSnn.Tests.Reference;

/// <summary>
/// The general network reference checked without the library: against the spec's numbers (§12), against the
/// independent fully connected reference (<see cref="ReferenceEstimators"/>: closed forms for OTTT and RateBP, per-step
/// tapes for SAF) for every estimator, and against the spec's identities on convolutional nets with BatchNorm.
/// </summary>
public sealed class NetworkReferenceTests
{
    private static readonly string[] Estimators = ["bptt", "sltt", "sltt-k", "tt-lbptt", "ottt-a", "ottt-o", "saf-e", "saf-f", "ratebp"];

    /// <summary>A fully connected <see cref="ReferenceCase"/> (batch of one, ½‖o − y‖²) as a network case.</summary>
    private static NetworkCase From(ReferenceCase r)
    {
        var neuron = new NetNeuron(r.Decay, r.Threshold, r.Reset == "hard", r.DetachReset, r.Surrogate,
            r.Alpha ?? r.Surrogate switch { "sigmoid" => 4.0, "atan" => 2.0, _ => 1.0 });
        NetLinear Linear(double[][] w) => new(w[0].Length, w.Length, w.SelectMany(x => x).ToArray(), null);
        return new NetworkCase
        {
            Estimator = r.Estimator,
            InputShape = [r.Inputs[0].Length],
            Inputs = r.Inputs.Select(x => new[] { x }).ToArray(),
            Targets = [r.Target],
            LossKind = "half-se",
            MeanOutput = r.Loss == "mean-output",
            Layers = [.. r.Layers.SelectMany(w => new NetLayer[] { Linear(w), neuron }), Linear(r.Readout)],
            Window = r.Window > 0 ? r.Window : null,
            Blocks = r.Blocks,
            AuxHeads = r.AuxHeads?.OrderBy(p => p.Key).Select(p => new NetLayer[] { Linear(p.Value) }).ToArray(),
            PerWindowUpdate = r.Update == "per-window",
            KSet = r.KSet,
            AllTrace = r.AllTrace,
            OfficialScale = r.OfficialScale,
        };
    }

    public static TheoryData<string, string> FullyConnected()
    {
        var data = new TheoryData<string, string>();
        foreach (var e in Estimators)
            foreach (var variant in new[] { "test1", "test2", "test3", "random", "random-triangle-detach", "random-if", "random-hard" })
                if (!(e.StartsWith("saf", StringComparison.Ordinal) && variant == "random-hard")) data.Add(e, variant);
        data.Add("ottt-a", "random-all-trace");
        data.Add("ratebp", "random-official");
        data.Add("tt-lbptt", "random-per-window");
        return data;
    }

    [Theory]
    [MemberData(nameof(FullyConnected))]
    public void Matches_the_fully_connected_reference(string estimator, string variant)
    {
        var r = variant switch
        {
            "test1" => ReferenceCases.Test1(estimator),
            "test2" => ReferenceCases.Test2(estimator),
            "test3" => ReferenceCases.Test3(estimator),
            _ => ReferenceCases.Random3(estimator),
        };
        if (variant.Contains("triangle", StringComparison.Ordinal)) r.Surrogate = "triangle";
        if (variant.Contains("detach", StringComparison.Ordinal)) r.DetachReset = true;
        if (variant.Contains("if", StringComparison.Ordinal)) r.Decay = 1.0;
        if (variant.Contains("hard", StringComparison.Ordinal)) r.Reset = "hard";
        r.AllTrace = variant.Contains("all-trace", StringComparison.Ordinal);
        r.OfficialScale = variant.Contains("official", StringComparison.Ordinal);
        if (estimator == "sltt-k") r.KSet = [1, 3];
        if (estimator.StartsWith("saf", StringComparison.Ordinal) || estimator.StartsWith("sltt", StringComparison.Ordinal) || estimator.StartsWith("ottt", StringComparison.Ordinal))
            r.Loss = "per-step";
        if (estimator == "tt-lbptt")
        {
            r.Loss = "per-step";
            r.Window = 2;
            r.Update = variant.Contains("per-window", StringComparison.Ordinal) ? "per-window" : "accumulated";
            if (r.Layers.Length > 1)
            {
                r.Blocks = [[0], [.. Enumerable.Range(1, r.Layers.Length - 1)]];
                r.AuxHeads = new() { [0] = r.Layers.Length == 2 && variant == "test2" ? ReferenceCases.Test2Aux : [[0.4, -0.6, 0.9, 0.2], [-0.3, 0.8, 0.1, 0.5]] };
            }
        }
        var expected = ReferenceEstimators.Run(r);
        var actual = NetworkReference.Run(From(r));

        Assert.Equal(expected.Loss, actual.Loss, 12);
        for (int l = 0; l < expected.Spikes.Length; l++)
            for (int t = 0; t < r.Inputs.Length; t++) Assert.Equal(expected.Spikes[l][t], actual.Spikes[l][t][0]);
        var flat = expected.LayerGrads.Select(m => m.SelectMany(x => x).ToArray())
            .Append(expected.ReadoutGrad.SelectMany(x => x).ToArray())
            .Concat(expected.AuxGrads.OrderBy(p => p.Key).Select(p => p.Value.SelectMany(x => x).ToArray())).ToList();
        Assert.Equal(flat.Count, actual.Gradients.Count);
        for (int p = 0; p < flat.Count; p++) Near(flat[p], actual.Gradients[p], $"parameter {p}");
        if (expected.StepGrads.Count > 0)
        {
            Assert.Equal(expected.StepGrads.Count, actual.Updates.Count);
            for (int u = 0; u < expected.StepGrads.Count; u++)
            {
                var piece = expected.StepGrads[u];
                var pieceFlat = piece.Layers.Select(m => m.SelectMany(x => x).ToArray()).Append(piece.Readout.SelectMany(x => x).ToArray())
                    .Concat(piece.Aux.OrderBy(p => p.Key).Select(p => p.Value.SelectMany(x => x).ToArray())).ToList();
                for (int p = 0; p < pieceFlat.Count; p++) Near(pieceFlat[p], actual.Updates[u][p], $"update {u} parameter {p}");
            }
        }
    }

    [Theory]
    [InlineData("bptt", false, 0.381444, 1 / 3.0)]
    [InlineData("bptt", true, 0.413842, 1 / 3.0)]
    [InlineData("sltt", false, 0.358783, 1 / 3.0)]
    [InlineData("ottt-a", false, 0.358783, 0.291667)]
    [InlineData("saf-e", false, 0.413842, 0.291667)]
    public void Reproduces_spec_test_1(string estimator, bool detachReset, double dw, double dv)
    {
        var r = ReferenceCases.Test1(estimator);
        r.DetachReset = detachReset;
        var g = NetworkReference.Run(From(r)).Gradients;
        Assert.Equal(dw, g[0][0], 6);
        Assert.Equal(dv, g[1][0], 6);
    }

    [Fact]
    public void Reproduces_spec_test_3_ratebp()
    {
        var g = NetworkReference.Run(From(ReferenceCases.Test3("ratebp"))).Gradients;
        double[] dW = [-0.189438, -0.126292, 0.106917, 0.071278];
        for (int i = 0; i < 4; i++) Assert.Equal(dW[i], g[0][i], 6);
        Assert.Equal(-0.15, g[1][0], 6);
        Assert.Equal(-0.075, g[1][1], 6);
    }

    [Theory]
    [InlineData("per-step")]
    [InlineData("folded")]
    public void Tt_lbptt_with_the_whole_sequence_and_one_block_is_bptt(string bn)
    {
        var c = NetworkCases.Conv("bptt", bn, "varying", "ce", "lif", "max");
        var bptt = NetworkReference.Run(c);
        c.Estimator = "tt-lbptt";
        var tt = NetworkReference.Run(c);
        AllNear(bptt, tt);
        Assert.Equal(bptt.RunningVariance.Where(v => v is not null).SelectMany(v => v!), tt.RunningVariance.Where(v => v is not null).SelectMany(v => v!));
    }

    [Fact]
    public void Tt_lbptt_with_windows_of_one_step_is_sltt()
    {
        var c = NetworkCases.Conv("sltt", "per-step", "varying", "ce+mse", "lif-hard", "avg");
        var sltt = NetworkReference.Run(c);
        c.Estimator = "tt-lbptt";
        c.Window = 1;
        AllNear(sltt, NetworkReference.Run(c));
    }

    [Fact]
    public void Without_leak_sltt_ottt_and_bptt_coincide()
    {
        var c = NetworkCases.Conv("bptt", "per-step", "varying", "ce", "lif", "avg", decay: 0.0);
        var bptt = NetworkReference.Run(c);
        foreach (var e in new[] { "sltt", "ottt-a" })
        {
            c.Estimator = e;
            AllNear(bptt, NetworkReference.Run(c));
        }
    }

    [Theory]
    [InlineData("varying")]
    [InlineData("constant")]
    public void Saf_e_summed_is_ottt_all_trace_on_a_conv_net(string input)
    {
        var c = NetworkCases.Conv("saf-e", "none:no-bias", input, "ce", "lif", "avg");
        var saf = NetworkReference.Run(c);
        c.Estimator = "ottt-a";
        c.AllTrace = true;
        var ottt = NetworkReference.Run(c);
        Assert.Equal(saf.Spikes.SelectMany(l => l.SelectMany(t => t.SelectMany(b => b))), ottt.Spikes.SelectMany(l => l.SelectMany(t => t.SelectMany(b => b))));
        AllNear(ottt, saf);
    }

    [Fact]
    public void Saf_with_batchnorm_and_constant_input_spikes_like_lif()
    {
        var c = NetworkCases.Conv("saf-f", "per-step", "constant", "ce", "lif", "avg");
        var saf = NetworkReference.Run(c);
        c.Estimator = "sltt";
        var lif = NetworkReference.Run(c);
        // The first BatchNorm sees exactly the LIF network's per-step input; deeper ones see normalised accumulations.
        Assert.Equal(lif.Spikes[0].SelectMany(t => t.SelectMany(b => b)), saf.Spikes[0].SelectMany(t => t.SelectMany(b => b)));
        Assert.Equal(lif.RunningMean[1]!, saf.RunningMean[1]!, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("folded")]
    public void Ratebp_with_one_step_is_bptt_on_the_mean_output(string bn)
    {
        var c = NetworkCases.Conv("bptt", bn + ":mean-output", "varying", "ce", "lif", "avg", steps: 1);
        var bptt = NetworkReference.Run(c);
        c.Estimator = "ratebp";
        AllNear(bptt, NetworkReference.Run(c));
    }

    [Fact]
    public void Ratebp_modes_differ_only_through_batchnorm()
    {
        // 's' and 'm' normalise differently in the spike pass and take σ differently in the rate pass.
        var c = NetworkCases.Conv("ratebp", "per-step:mean-output", "constant", "ce", "lif", "avg");
        var s = NetworkReference.Run(c);
        c.Folded = true;
        var m = NetworkReference.Run(c);
        Assert.True(s.Gradients[0].Zip(m.Gradients[0]).Max(p => Math.Abs(p.First - p.Second)) > 1e-6);
    }

    private static void AllNear(NetworkResult expected, NetworkResult actual)
    {
        Assert.Equal(expected.Loss, actual.Loss, 12);
        for (int p = 0; p < expected.Gradients.Count; p++) Near(expected.Gradients[p], actual.Gradients[p], $"parameter {p}");
    }

    private static void Near(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-10 + 1e-9 * Math.Abs(expected[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}

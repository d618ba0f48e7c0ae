using static IlgpuSnn.Tests.Reference.ReferenceCases;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Reference;

/// <summary>Reproduces the numbers of spec §12 (test vectors 1-5) with the double reference.</summary>
public sealed class ReferenceVectorTests
{
    private const double Tol = 1e-6;

    private static ReferenceResult Run(ReferenceCase c) => ReferenceEstimators.Run(c);

    private static void AssertGrad1(ReferenceResult r, double dw, double dv, string what)
    {
        Close.Absolute([dw], [r.LayerGrads[0][0][0]], Tol, what + " dw");
        Close.Absolute([dv], [r.ReadoutGrad[0][0]], Tol, what + " dv");
    }

    // ---------------------------------------------------------------- Test 1

    [Fact]
    public void Test1_forward()
    {
        foreach (var est in new[] { "bptt", "sltt", "ottt-a", "saf-e", "ratebp" })
        {
            var r = Run(Test1(est));
            Close.Absolute([1.2, 0.42, 1.01], r.Potentials[0].Select(x => x[0]).ToArray(), 1e-12, est + " u");
            Close.Absolute([1, 0, 1], r.Spikes[0].Select(x => x[0]).ToArray(), 0, est + " s");
            Close.Absolute([0.125], [r.Loss], 1e-12, est + " L");
        }
        var sg = ReferenceEstimators.Surrogate("sigmoid", null);
        double[] u1 = [1.2, 0.42, 1.01];
        Close.Absolute([0.855639, 0.325894, 0.999600], u1.Select(u => sg(u - 1)).ToArray(), Tol, "σ'");
    }

    [Fact]
    public void Test1_bptt_per_step()
    {
        AssertGrad1(Run(Test1("bptt")), 0.381444, 0.333333, "bptt reset kept");
        var c = Test1("bptt");
        c.DetachReset = true;
        var r = Run(c);
        AssertGrad1(r, 0.413842, 0.333333, "bptt reset detached");
        Close.Absolute([0.157099, 0.028984, 0.1666], r.ErrorSignals![0].Select(x => x[0]).ToArray(), 1e-4, "g_u hand check");
    }

    [Fact]
    public void Test1_sltt_and_tt_k1()
    {
        AssertGrad1(Run(Test1("sltt")), 0.358783, 0.333333, "sltt");
        var c = Test1("tt-lbptt");
        c.Window = 1;
        AssertGrad1(Run(c), 0.358783, 0.333333, "tt k=1");
    }

    [Fact]
    public void Test1_sltt_k()
    {
        (int[] kset, double dw, double dv)[] rows =
        [
            ([1], 0.213910, 0.166667),
            ([2], -0.021726, 0.0),
            ([3], 0.166600, 0.166667),
            ([1, 3], 0.380510, 0.333333),
        ];
        foreach (var (kset, dw, dv) in rows)
        {
            var c = Test1("sltt-k");
            c.KSet = kset;
            AssertGrad1(Run(c), dw, dv, "sltt-k {" + string.Join(",", kset) + "}");
        }
    }

    [Fact]
    public void Test1_tt_lbptt_k2()
    {
        var c = Test1("tt-lbptt");
        c.Window = 2;
        AssertGrad1(Run(c), 0.352903, 0.333333, "tt k=2 accumulated");
        c.Update = "per-window";
        var r = Run(c);
        AssertGrad1(r, 0.352903, 0.333333, "tt k=2 per-window sum");
        Assert.Equal(2, r.StepGrads.Count);
    }

    [Fact]
    public void Test1_ottt_and_saf()
    {
        AssertGrad1(Run(Test1("ottt-a")), 0.358783, 0.291667, "ottt-a official");
        var c = Test1("ottt-a");
        c.AllTrace = true;
        AssertGrad1(Run(c), 0.413842, 0.291667, "ottt-a all-trace");
        var saf = Run(Test1("saf-e"));
        AssertGrad1(saf, 0.413842, 0.291667, "saf summed");

        c.Estimator = "ottt-o";
        var o = Run(c);
        AssertGrad1(o, 0.413842, 0.291667, "ottt-o summed");
        foreach (var (name, r) in new[] { ("ottt-o", o), ("saf-e", saf) })
        {
            Assert.Equal(3, r.StepGrads.Count);
            Close.Absolute([0.213910, -0.062463, 0.262395], r.StepGrads.Select(p => p.Layers[0][0][0]).ToArray(), Tol, name + " dw pieces");
            Close.Absolute([0.166667, -0.083333, 0.208333], r.StepGrads.Select(p => p.Readout[0][0]).ToArray(), Tol, name + " dv pieces");
        }
    }

    [Fact]
    public void Test1_mean_output_bptt_and_ratebp()
    {
        var c = Test1("bptt");
        c.Loss = "mean-output";
        c.DetachReset = true;
        var b = Run(c);
        Close.Absolute([0.013889], [b.Loss], Tol, "L mean");
        AssertGrad1(b, 0.179589, 0.111111, "bptt mean detached");

        c.Estimator = "ratebp";
        var r = Run(c);
        Close.Absolute([2.0 / 3], [r.Rates![0][0]], 1e-12, "r");
        Close.Absolute([1.031260], [r.Eligibilities![0][0]], Tol, "elig");
        Close.Absolute([0.666667], [r.Outputs.Average(x => x[0])], Tol, "ō");
        AssertGrad1(r, 0.166147, 0.111111, "ratebp natural");
        c.OfficialScale = true;
        AssertGrad1(Run(c), 0.055382, 0.037037, "ratebp official");
    }

    // ---------------------------------------------------------------- Test 2 (forward only; gradients held out)

    [Fact]
    public void Test2_forward_identical_for_every_estimator()
    {
        double[][] u1 = [[1.1, 0.3], [0.63, 1.29], [1.155, 0.265]];
        double[][] s1 = [[1, 0], [0, 1], [1, 0]];
        double[] u2 = [0.7, 0.95, 1.175];
        double[] s2 = [0, 0, 1];
        double[] o = [0, 0, 1.5];
        foreach (var est in new[] { "bptt", "sltt", "sltt-k", "tt-lbptt", "ottt-a", "ottt-o", "saf-e", "saf-f", "ratebp" })
        {
            var c = Test2(est);
            c.KSet = [1, 2, 3];
            c.Blocks = [[0], [1]];
            c.AuxHeads = new() { [0] = Test2Aux };
            var r = Run(c);
            Close.Absolute(Flat2(u1), Flat2(r.Potentials[0]), 1e-12, est + " u1");
            Close.Absolute(Flat2(s1), Flat2(r.Spikes[0]), 0, est + " s1");
            Close.Absolute(u2, r.Potentials[1].Select(x => x[0]).ToArray(), 1e-12, est + " u2");
            Close.Absolute(s2, r.Spikes[1].Select(x => x[0]).ToArray(), 0, est + " s2");
            Close.Absolute(o, r.Outputs.Select(x => x[0]).ToArray(), 1e-12, est + " o");
            Close.Absolute([0.375], [r.Loss], 1e-12, est + " L");
        }
    }

    // ---------------------------------------------------------------- Test 3

    [Fact]
    public void Test3_ratebp_exactness()
    {
        var b = Run(Test3("bptt"));
        Close.Absolute([1.02, 1.024, 1.0248, 1.02496], b.Potentials[0].Select(x => x[0]).ToArray(), 1e-12, "u_a");
        Close.Absolute([0.93, 1.116, 0.9532, 1.12064], b.Potentials[0].Select(x => x[1]).ToArray(), 1e-12, "u_b");
        Close.Absolute([1, 1, 1, 1, 0, 1, 0, 1],
            b.Spikes[0].Select(x => x[0]).Concat(b.Spikes[0].Select(x => x[1])).ToArray(), 0, "s");
        double[] dW = [-0.189438, -0.126292, 0.106917, 0.071278];
        double[] dwo = [-0.15, -0.075];
        Close.Absolute(dW, Flat2(b.LayerGrads[0]), Tol, "bptt dW");
        Close.Absolute(dwo, Flat2(b.ReadoutGrad), Tol, "bptt dwo");

        var r = Run(Test3("ratebp"));
        Close.Absolute([1.0, 0.5], r.Rates![0], 1e-12, "r");
        Close.Absolute([1.169373, 1.131397], r.Eligibilities![0], Tol, "elig");
        Close.Absolute([0.85], [r.Outputs.Average(x => x[0])], 1e-12, "ō");
        Close.Absolute(Flat(b), Flat(r), 1e-15, "ratebp natural == bptt");

        var c = Test3("ratebp");
        c.OfficialScale = true;
        var off = Run(c);
        Close.Absolute([-0.047360, -0.031573, 0.026729, 0.017820], Flat2(off.LayerGrads[0]), Tol, "official dW");
        Close.Absolute([-0.0375, -0.01875], Flat2(off.ReadoutGrad), Tol, "official dwo");
    }

    // ---------------------------------------------------------------- Test 4

    public static TheoryData<string> AllEstimators =>
        ["bptt", "sltt", "sltt-k", "tt-lbptt", "ottt-a", "ottt-o", "saf-e", "saf-f", "ratebp"];

    [Theory]
    [MemberData(nameof(AllEstimators))]
    public void Test4_T1_collapse(string estimator)
    {
        foreach (var loss in new[] { "per-step", "mean-output" })
            foreach (bool detach in new[] { false, true })
                foreach (bool allTrace in new[] { false, true })
                {
                    var c = Test4(estimator);
                    c.Loss = loss;
                    c.DetachReset = detach;
                    c.AllTrace = allTrace;
                    c.KSet = [1];
                    c.Window = 1;
                    var r = Run(c);
                    string what = $"{estimator} {loss} detach={detach} allTrace={allTrace}";
                    Close.Absolute([-0.718050, -0.359025, -0.138428, -0.069214], Flat2(r.LayerGrads[0]), Tol, what + " dW1");
                    Close.Absolute([-1.067367, 0], Flat2(r.LayerGrads[1]), Tol, what + " dW2");
                    Close.Absolute([0], Flat2(r.ReadoutGrad), Tol, what + " dwo");
                }
    }

    // ---------------------------------------------------------------- Test 5

    [Theory]
    [InlineData("bptt", false)]
    [InlineData("bptt", true)]
    [InlineData("sltt", false)]
    [InlineData("ottt-a", false)]
    [InlineData("ottt-a", true)]
    [InlineData("ottt-o", false)]
    [InlineData("saf-e", true)]
    [InlineData("tt-lbptt", false)]
    public void Test5_lambda0_collapse(string estimator, bool flag)
    {
        var c = Test5(estimator);
        c.DetachReset = flag;
        c.AllTrace = flag;
        c.Window = 2;
        var r = Run(c);
        Close.Absolute([-0.277965, -0.230022, -0.079082, -0.179007], Flat2(r.LayerGrads[0]), Tol, "dW1");
        Close.Absolute([-0.355789, -0.279528], Flat2(r.LayerGrads[1]), Tol, "dW2");
        Close.Absolute([0], Flat2(r.ReadoutGrad), Tol, "dwo");
    }
}

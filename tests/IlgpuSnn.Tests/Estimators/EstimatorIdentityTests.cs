using IlgpuSnn.Tools.GradCheck;
using IlgpuSnn.Tests.Reference;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Estimators;

/// <summary>
/// The identities between estimators of spec §12, checked on the library itself (no reference values): each side is a
/// library result, so a wrong shared piece would still have to break an identity to go unnoticed.
/// </summary>
public sealed class EstimatorIdentityTests(TestDevice fixture)
{
    private const double Tol = 2e-5;

    private GradCheckResult Run(ReferenceCase c) => GradCheckRunner.Run(fixture.Device, GradCheckCase.Parse(GradCheckJson.From(c)));

    private static double[] Flat(GradientSet g) => ReferenceCases.Flat3(g.Layers).Concat(ReferenceCases.Flat2(g.Readout)).ToArray();

    public static TheoryData<int, bool> Nets() => new() { { 7, false }, { 7, true }, { 11, false }, { 13, true } };

    private static ReferenceCase Net(string estimator, int seed, bool detach)
    {
        var c = ReferenceCases.Random3(estimator, seed, 5);
        c.DetachReset = detach;
        return c;
    }

    [Theory]
    [MemberData(nameof(Nets))]
    public void Full_window_truncation_equals_bptt_and_unit_window_equals_sltt(int seed, bool detach)
    {
        var bptt = Run(Net("bptt", seed, detach));
        var full = Net("tt-lbptt", seed, detach);
        full.Window = 5;
        Close.Absolute(Flat(bptt.Gradients), Flat(Run(full).Gradients), Tol, "k = T");
        var unit = Net("tt-lbptt", seed, detach);
        unit.Window = 1;
        Close.Absolute(Flat(Run(Net("sltt", seed, detach)).Gradients), Flat(Run(unit).Gradients), Tol, "k = 1");
    }

    [Theory]
    [MemberData(nameof(Nets))]
    public void Per_window_pieces_sum_to_the_accumulated_gradient(int seed, bool detach)
    {
        var c = Net("tt-lbptt", seed, detach);
        c.Window = 2;
        var accumulated = Run(c);
        c.Update = "per-window";
        var pieces = Run(c);
        Assert.Equal(3, pieces.StepGradients!.Count);
        var sum = pieces.StepGradients.Select(Flat).Aggregate((a, b) => a.Zip(b, (x, y) => x + y).ToArray());
        Close.Absolute(Flat(accumulated.Gradients), sum, Tol);
    }

    [Theory]
    [MemberData(nameof(Nets))]
    public void Sltt_k_with_every_step_equals_sltt_and_averages_to_k_over_t(int seed, bool detach)
    {
        var sltt = Flat(Run(Net("sltt", seed, detach)).Gradients);
        var all = Net("sltt-k", seed, detach);
        all.KSet = [1, 2, 3, 4, 5];
        Assert.Equal(sltt, Flat(Run(all).Gradients));
        // The mean over every 2-subset of the 5 steps is (2/5)·SLTT.
        var subsets = new List<double[]>();
        for (int i = 1; i <= 5; i++)
            for (int j = i + 1; j <= 5; j++)
            {
                var c = Net("sltt-k", seed, detach);
                c.KSet = [i, j];
                subsets.Add(Flat(Run(c).Gradients));
            }
        var mean = Enumerable.Range(0, sltt.Length).Select(k => subsets.Average(s => s[k])).ToArray();
        Close.Absolute(sltt.Select(v => v * 2 / 5).ToArray(), mean, Tol);
    }

    [Theory]
    [MemberData(nameof(Nets))]
    public void Online_pieces_sum_to_the_accumulated_methods(int seed, bool detach)
    {
        var ottta = Net("ottt-a", seed, detach);
        ottta.AllTrace = true;
        var otttaFlat = Flat(Run(ottta).Gradients);
        var otttoCase = Net("ottt-o", seed, detach);
        otttoCase.AllTrace = true;
        var otttO = Run(otttoCase);
        var sum = otttO.StepGradients!.Select(Flat).Aggregate((a, b) => a.Zip(b, (x, y) => x + y).ToArray());
        Close.Absolute(otttaFlat, sum, Tol, "Σ OTTT_O = OTTT_A");
        // SAF-E's summed gradient equals all-trace OTTT, and its forward spikes equal LIF's.
        var saf = Run(Net("saf-e", seed, detach));
        Close.Absolute(otttaFlat, Flat(saf.Gradients), Tol, "SAF-E = OTTT all-trace");
        Assert.Equal(ReferenceCases.Flat3(Run(Net("bptt", seed, detach)).Spikes), ReferenceCases.Flat3(saf.Spikes));
    }

    [Theory]
    [InlineData("sltt")]
    [InlineData("ottt-a")]
    [InlineData("tt-lbptt")]
    public void Zero_decay_collapses_to_bptt(string estimator)
    {
        var bptt = Net("bptt", 7, false);
        bptt.Decay = 0;
        var other = Net(estimator, 7, false);
        other.Decay = 0;
        if (estimator == "tt-lbptt") other.Window = 2;
        Close.Absolute(Flat(Run(bptt).Gradients), Flat(Run(other).Gradients), Tol);
    }

    [Theory]
    [InlineData("tt-lbptt")]
    [InlineData("sltt")]
    [InlineData("ottt-a")]
    [InlineData("saf-e")]
    [InlineData("saf-f")]
    [InlineData("ratebp")]
    public void One_step_collapses_every_method_to_bptt(string estimator)
    {
        ReferenceCase Single(string e)
        {
            var c = Net(e, 11, false);
            c.Inputs = [c.Inputs[0]];
            c.Loss = "mean-output";
            return c;
        }

        var bptt = Flat(Run(Single("bptt")).Gradients);
        var c = Single(estimator);
        if (estimator is not ("ratebp" or "saf-f")) c.Loss = "per-step";
        Close.Absolute(bptt, Flat(Run(c).Gradients), Tol);
    }
}

using IlgpuSnn.Neurons;
using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Neurons;

public sealed class SurrogateTests
{
    private static readonly float[] Points = [-2.5f, -1.3f, -0.9f, -0.6f, -0.45f, -0.2f, -0.05f, 0f, 0.03f, 0.2f, 0.4f, 0.55f, 0.8f, 1.2f, 3f];

    public static TheoryData<string, float> Cases => new()
    {
        { "sigmoid", 4f }, { "sigmoid", 1.5f },
        { "triangle", 1f }, { "triangle", 2.5f },
        { "rectangle", 1f }, { "rectangle", 0.6f },
        { "atan", 2f }, { "atan", 0.7f },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Derivative_matches_hand_formula(string name, float alpha)
    {
        var s = Surrogate.Parse(name, alpha);
        foreach (var z in Points)
        {
            double expected = LifReference.Sg(name, alpha, z);
            Assert.True(Math.Abs(expected - s.Derivative(z)) <= 1e-6 + 1e-5 * Math.Abs(expected),
                $"{s} at {z}: expected {expected}, got {s.Derivative(z)}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Derivative_is_the_slope_of_the_primitive(string name, float alpha)
    {
        var s = Surrogate.Parse(name, alpha);
        const float h = 1e-3f;
        foreach (var z in Points)
        {
            // skip the kinks of the piecewise surrogates (central differences straddle them)
            if (name == "rectangle" && Math.Abs(Math.Abs(z) - alpha / 2) < 2 * h) continue;
            if (name == "triangle" && (Math.Abs(z) < 2 * h || Math.Abs(Math.Abs(z) - 1 / alpha) < 2 * h)) continue;
            double numeric = ((double)s.Primitive(z + h) - s.Primitive(z - h)) / (2 * h);
            Assert.True(Math.Abs(numeric - s.Derivative(z)) <= 2e-3 + 2e-3 * Math.Abs(numeric),
                $"{s} at {z}: slope {numeric}, derivative {s.Derivative(z)}");
        }
        Assert.InRange(s.Primitive(-50f), 0f, 0.02f);
        Assert.InRange(s.Primitive(50f), 0.98f, 1f);
    }

    [Fact]
    public void Factories_have_the_documented_defaults()
    {
        Assert.Equal(new Surrogate(SurrogateKind.Sigmoid, 4f), Surrogate.Sigmoid());
        Assert.Equal(new Surrogate(SurrogateKind.Triangle, 1f), Surrogate.Triangle());
        Assert.Equal(new Surrogate(SurrogateKind.Rectangle, 1f), Surrogate.Rectangle());
        Assert.Equal(new Surrogate(SurrogateKind.ATan, 2f), Surrogate.ATan());
        Assert.Equal(Surrogate.ATan(), Surrogate.Parse("ATan"));
        Assert.Equal(Surrogate.Sigmoid(2f), Surrogate.Parse("sigmoid", 2f));
        // spec §12 test 1: σ'(0.2), σ'(−0.58), σ'(0.01) of sigmoid α = 4
        Close.Value(0.855639, Surrogate.Sigmoid().Derivative(0.2f), 2e-6, "sigmoid derivative");
        Close.Value(0.325894, Surrogate.Sigmoid().Derivative(0.42f - 1f), 2e-6, "sigmoid derivative");
        Close.Value(0.999600, Surrogate.Sigmoid().Derivative(0.01f), 2e-6, "sigmoid derivative");
        // rectangle boundary is included
        Assert.Equal(1f, Surrogate.Rectangle().Derivative(0.5f));
        Assert.Equal(0f, Surrogate.Rectangle().Derivative(0.5001f));
    }

    [Fact]
    public void Parse_rejects_unknown_names_listing_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => Surrogate.Parse("relu"));
        foreach (var n in LifReference.Surrogates) Assert.Contains(n, e.Message, StringComparison.Ordinal);
        Assert.Contains("relu", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Surrogate.Rectangle(0f));
        Assert.Throws<ArgumentException>(() => Surrogate.Sigmoid(float.NaN));
        Assert.Throws<ArgumentException>(() => Surrogate.Triangle() with { Alpha = -1f });
    }

    [Fact]
    public void NeuronSpec_defaults_and_validation()
    {
        var spec = new NeuronSpec();
        Assert.Equal(0.5f, spec.Decay);
        Assert.Equal(1f, spec.Threshold);
        Assert.Equal(ResetMode.Soft, spec.Reset);
        Assert.False(spec.DetachReset);
        Assert.Equal(Surrogate.Sigmoid(4f), spec.Surrogate);
        Assert.Equal(spec, new NeuronSpec(SurrogateFunction: Surrogate.Sigmoid()));
        Assert.Equal(1f, NeuronSpec.If().Decay);
        Assert.Equal(0.2f, NeuronSpec.Lif(0.2f).Decay);
        var tri = spec with { Surrogate = Surrogate.Triangle() };
        Assert.Equal(Surrogate.Triangle(), tri.Surrogate);
        Assert.Equal(Surrogate.Triangle(), tri.SurrogateFunction);
        Assert.Equal(Surrogate.ATan(), (spec with { SurrogateFunction = Surrogate.ATan() }).Surrogate);
        Assert.Equal(0.5f, NeuronSpec.DecayFromTau(2f));

        Assert.Contains("decay", Assert.Throws<ArgumentException>(() => new NeuronSpec(Decay: 1.5f)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => NeuronSpec.Lif(-0.1f));
        Assert.Contains("threshold", Assert.Throws<ArgumentException>(() => new NeuronSpec(Threshold: 0f)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => spec with { Threshold = -1f });
        Assert.Throws<ArgumentException>(() => spec with { Decay = float.NaN });
    }
}

namespace IlgpuSnn.Tests.Reference;

/// <summary>The networks of spec §12 and a random 3-layer net, plus comparison helpers.</summary>
public static class ReferenceCases
{
    /// <summary>Test 1: one LIF neuron, T = 3, x = (1.5, 0.4, 1.0), w = 0.8, v = 1, y = 0.5.</summary>
    public static ReferenceCase Test1(string estimator) => new()
    {
        Estimator = estimator,
        Decay = 0.5,
        Inputs = [[1.5], [0.4], [1.0]],
        Target = [0.5],
        Layers = [[[0.8]]],
        Readout = [[1.0]],
    };

    /// <summary>Test 2: 2 → 2 → 1 + read-out, T = 3, y = 1.</summary>
    public static ReferenceCase Test2(string estimator) => new()
    {
        Estimator = estimator,
        Decay = 0.5,
        Inputs = [[1.0, 0.5], [0.2, 1.0], [0.8, 0.3]],
        Target = [1.0],
        Layers = [[[0.9, 0.4], [-0.3, 1.2]], [[0.7, 0.6]]],
        Readout = [[1.5]],
    };

    /// <summary>Test 2's auxiliary head wa = [0.5, 0.5] on s1.</summary>
    public static double[][] Test2Aux => [[0.5, 0.5]];

    /// <summary>Test 3: one hidden layer, constant input, λ = 0.2, T = 4, mean-output loss.</summary>
    public static ReferenceCase Test3(string estimator) => new()
    {
        Estimator = estimator,
        Loss = "mean-output",
        Decay = 0.2,
        DetachReset = true,
        Inputs = [[0.9, 0.6], [0.9, 0.6], [0.9, 0.6], [0.9, 0.6]],
        Target = [1.0],
        Layers = [[[0.8, 0.5], [0.3, 1.1]]],
        Readout = [[1.2, -0.7]],
    };

    /// <summary>Test 4: Test 2's net with T = 1, x = (1.0, 0.5).</summary>
    public static ReferenceCase Test4(string estimator)
    {
        var c = Test2(estimator);
        c.Inputs = [[1.0, 0.5]];
        return c;
    }

    /// <summary>Test 5: Test 2 with λ = 0.</summary>
    public static ReferenceCase Test5(string estimator)
    {
        var c = Test2(estimator);
        c.Decay = 0.0;
        return c;
    }

    /// <summary>A random 3 → 4 → 3 → 2 net with 2 outputs and T steps (deterministic by seed).</summary>
    public static ReferenceCase Random3(string estimator, int seed = 7, int T = 5)
    {
        var rng = new Random(seed);
        double U(double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
        double[][] M(int r, int c, double lo, double hi) =>
            Enumerable.Range(0, r).Select(_ => Enumerable.Range(0, c).Select(_ => U(lo, hi)).ToArray()).ToArray();
        return new ReferenceCase
        {
            Estimator = estimator,
            Decay = 0.5,
            Inputs = M(T, 3, 0.0, 1.5),
            Target = [1.0, 0.0],
            Layers = [M(4, 3, -0.4, 1.0), M(3, 4, -0.4, 1.0), M(2, 3, -0.3, 1.1)],
            Readout = M(2, 2, -1.0, 1.5),
        };
    }

    /// <summary>All layer gradients then the read-out gradient, flattened.</summary>
    public static double[] Flat(ReferenceResult r) =>
        r.LayerGrads.SelectMany(m => m.SelectMany(x => x)).Concat(r.ReadoutGrad.SelectMany(x => x)).ToArray();

    /// <summary>Flattened gradients of one piece.</summary>
    public static double[] Flat(ReferenceStepGrad g) =>
        g.Layers.SelectMany(m => m.SelectMany(x => x)).Concat(g.Readout.SelectMany(x => x)).ToArray();

    /// <summary>Flattens a [a][b][c] array.</summary>
    public static double[] Flat3(double[][][] a) => a.SelectMany(m => m.SelectMany(x => x)).ToArray();

    /// <summary>Flattens a [a][b] array.</summary>
    public static double[] Flat2(double[][] a) => a.SelectMany(x => x).ToArray();
}

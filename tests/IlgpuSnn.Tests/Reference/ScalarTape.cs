namespace IlgpuSnn.Tests.Reference;

/// <summary>
/// Minimal scalar reverse-mode autodiff in double. Nodes are integer handles, created in topological order;
/// each node keeps its parents and the local derivatives towards them. A stop-gradient is a new node without parents.
/// </summary>
internal sealed class ScalarTape
{
    private readonly List<double> _values = [];
    private readonly List<int[]> _parents = [];
    private readonly List<double[]> _locals = [];

    public int Count => _values.Count;

    public double Value(int node) => _values[node];

    /// <summary>A leaf (parameter or constant): no parents.</summary>
    public int Leaf(double value) => Node(value, [], []);

    public int Node(double value, int[] parents, double[] locals)
    {
        _values.Add(value);
        _parents.Add(parents);
        _locals.Add(locals);
        return _values.Count - 1;
    }

    public int StopGrad(int a) => Leaf(_values[a]);

    public int Add(int a, int b) => Node(_values[a] + _values[b], [a, b], [1.0, 1.0]);

    public int Sub(int a, int b) => Node(_values[a] - _values[b], [a, b], [1.0, -1.0]);

    public int Mul(int a, int b) => Node(_values[a] * _values[b], [a, b], [_values[b], _values[a]]);

    public int Scale(int a, double c) => Node(c * _values[a], [a], [c]);

    /// <summary>1 − a.</summary>
    public int OneMinus(int a) => Node(1.0 - _values[a], [a], [-1.0]);

    /// <summary>Σ_i w_i · x_i (both operands differentiable).</summary>
    public int Dot(int[] w, int[] x)
    {
        double v = 0;
        var parents = new int[2 * w.Length];
        var locals = new double[2 * w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            v += _values[w[i]] * _values[x[i]];
            parents[2 * i] = w[i];
            locals[2 * i] = _values[x[i]];
            parents[2 * i + 1] = x[i];
            locals[2 * i + 1] = _values[w[i]];
        }
        return Node(v, parents, locals);
    }

    /// <summary>
    /// Σ_i w_i · x_i whose value and input gradient are those of x, while the weights' local derivatives are
    /// <paramref name="presynaptic"/> instead of x's values (OTTT's "value from spikes, weight gradient from traces").
    /// </summary>
    public int Dot(int[] w, int[] x, double[] presynaptic)
    {
        double v = 0;
        var parents = new int[2 * w.Length];
        var locals = new double[2 * w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            v += _values[w[i]] * _values[x[i]];
            parents[2 * i] = w[i];
            locals[2 * i] = presynaptic[i];
            parents[2 * i + 1] = x[i];
            locals[2 * i + 1] = _values[w[i]];
        }
        return Node(v, parents, locals);
    }

    /// <summary>Surrogate Heaviside: forward H(a − vth) (H(0) = 1), derivative σ'(a − vth).</summary>
    public int Spike(int a, double vth, Func<double, double> surrogate)
    {
        double z = _values[a] - vth;
        return Node(z >= 0 ? 1.0 : 0.0, [a], [surrogate(z)]);
    }

    /// <summary>Reverse sweep from the given seeds; returns ∂/∂node for every node.</summary>
    public double[] Backward(IEnumerable<(int Node, double Seed)> seeds)
    {
        var g = new double[_values.Count];
        foreach (var (node, seed) in seeds) g[node] += seed;
        for (int n = _values.Count - 1; n >= 0; n--)
        {
            double gn = g[n];
            if (gn == 0) continue;
            var p = _parents[n];
            var l = _locals[n];
            for (int i = 0; i < p.Length; i++) g[p[i]] += gn * l[i];
        }
        return g;
    }
}

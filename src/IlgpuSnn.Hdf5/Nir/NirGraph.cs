namespace IlgpuSnn.Hdf5.Nir;

/// <summary>
/// An array parameter of a NIR node: row-major <see cref="Data"/> of shape <see cref="Shape"/> (empty = a scalar),
/// stored as float32 or, when <see cref="Integer"/>, as int64.
/// </summary>
/// <param name="Data">The values, row-major.</param>
/// <param name="Shape">The dimensions; empty for a scalar.</param>
/// <param name="Integer">Whether the values are integers (strides, dimensions) rather than reals.</param>
public sealed record NirArray(double[] Data, int[] Shape, bool Integer = false)
{
    /// <summary>A float array of the given shape.</summary>
    public static NirArray Floats(float[] data, params int[] shape) => new(data.Select(v => (double)v).ToArray(), shape);

    /// <summary>A one-dimensional integer array.</summary>
    public static NirArray Integers(params long[] data) => new(data.Select(v => (double)v).ToArray(), [data.Length], true);

    /// <summary>An integer scalar.</summary>
    public static NirArray Scalar(long value) => new([value], [], true);

    /// <summary>The values as floats.</summary>
    public float[] AsFloats() => Data.Select(v => (float)v).ToArray();

    /// <summary>The values as integers (each must be whole).</summary>
    public int[] AsIntegers() => Data.Select(v => v == Math.Floor(v) && Math.Abs(v) <= int.MaxValue ? (int)v
        : throw new InvalidDataException($"NIR: {v} is not a whole number.")).ToArray();
}

/// <summary>One node of a NIR graph: its primitive <see cref="Type"/> ("Affine", "LIF", …) and its named arrays.</summary>
/// <param name="Type">The NIR primitive name.</param>
/// <param name="Values">The node's parameters by their NIR names (weight, bias, tau, …).</param>
public sealed record NirNode(string Type, IReadOnlyDictionary<string, NirArray> Values)
{
    /// <summary>The array <paramref name="name"/>.</summary>
    /// <exception cref="InvalidDataException">The node has no such array.</exception>
    public NirArray this[string name] => Values.TryGetValue(name, out var v) ? v
        : throw new InvalidDataException($"NIR: the {Type} node has no '{name}'.");
}

/// <summary>
/// A NIR graph (Neuromorphic Intermediate Representation, github.com/neuromorphs/NIR): named nodes and directed edges
/// (source, target); "input" and "output" are its Input and Output nodes.
/// </summary>
/// <param name="Nodes">The nodes by name.</param>
/// <param name="Edges">The edges (source name, target name).</param>
public sealed record NirGraph(IReadOnlyDictionary<string, NirNode> Nodes, IReadOnlyList<(string From, string To)> Edges);

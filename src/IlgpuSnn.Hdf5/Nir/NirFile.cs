using System.Globalization;
using PureHDF;

namespace IlgpuSnn.Hdf5.Nir;

/// <summary>
/// Reads and writes NIR graphs in the HDF5 layout of the NIR reference implementation (nir/serialization.py):
/// a string dataset <c>version</c>, and a group <c>node</c> holding <c>type</c> = "NIRGraph", a group <c>nodes</c> with
/// one group per node (a string dataset <c>type</c> and one dataset per parameter) and <c>edges</c>, an [E, 2] array of
/// variable-length strings (source, target).
/// </summary>
public static class NirFile
{
    /// <summary>The NIR file-format version written (the layout of NIR 1.0).</summary>
    public const string Version = "1.0.0";

    /// <summary>Writes <paramref name="graph"/> to <paramref name="path"/> (replacing it only once the new file is complete).</summary>
    public static void Write(string path, NirGraph graph, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(graph);
        var nodes = new H5Group();
        foreach (var (name, node) in graph.Nodes)
        {
            var group = new H5Group { ["type"] = node.Type };
            foreach (var (key, array) in node.Values) group[key] = Dataset(array);
            nodes[name] = group;
        }
        var edges = new string[graph.Edges.Count, 2];
        for (int i = 0; i < graph.Edges.Count; i++) (edges[i, 0], edges[i, 1]) = graph.Edges[i];
        var root = new H5Group { ["type"] = "NIRGraph", ["nodes"] = nodes, ["edges"] = edges };
        if (metadata is { Count: > 0 })
        {
            var meta = new H5Group();
            foreach (var (key, value) in metadata) meta[key] = value;
            root["metadata"] = meta;
        }
        var file = new H5File { ["version"] = Version, ["node"] = root };
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            file.Write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Reads the graph of a NIR file (metadata is not read: NIR graphs must not depend on it).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a NIR HDF5 file; the message names the file and what is wrong.</exception>
    public static NirGraph Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the file does not exist.", path);
        try
        {
            using var file = H5File.OpenRead(path);
            long fileLength = new FileInfo(path).Length;
            if (!file.LinkExists("node")) throw new InvalidDataException($"{path}: no 'node' group; not a NIR file.");
            var root = file.Group("node");
            var type = ReadString(path, fileLength, root, "type");
            if (type != "NIRGraph") throw new InvalidDataException($"{path}: node/type is '{type}', a NIRGraph was expected.");
            var nodes = new Dictionary<string, NirNode>(StringComparer.Ordinal);
            foreach (var child in root.Group("nodes").Children())
            {
                if (child is not IH5Group group) continue;
                var values = new Dictionary<string, NirArray>(StringComparer.Ordinal);
                foreach (var item in group.Children())
                    if (item is IH5Dataset d && item.Name != "type" && ReadArray(path, fileLength, d) is { } array) values[item.Name] = array;
                nodes[child.Name] = new NirNode(ReadString(path, fileLength, group, "type"), values);
            }
            var edgeSet = root.Dataset("edges");
            var dims = edgeSet.Space.Dimensions;
            DeclaredSize.Require(path, fileLength, edgeSet, "node/edges");
            var flat = edgeSet.Read<string[]>();
            if (dims.Length != 2 || dims[1] != 2 || flat.Length != (int)dims[0] * 2)
                throw new InvalidDataException($"{path}: node/edges has shape [{string.Join(", ", dims)}]; [E, 2] was expected.");
            var edges = Enumerable.Range(0, (int)dims[0]).Select(i => (flat[2 * i], flat[2 * i + 1])).ToList();
            foreach (var (from, to) in edges)
                if (!nodes.ContainsKey(from) || !nodes.ContainsKey(to))
                    throw new InvalidDataException($"{path}: the edge ({from}, {to}) names a node the graph does not have.");
            return new NirGraph(nodes, edges);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a readable NIR file ({e.GetType().Name}: {e.Message})", e);
        }
    }

    private static H5Dataset Dataset(NirArray array)
    {
        var dims = array.Shape.Select(d => (ulong)d).ToArray();
        if (array.Integer)
            return array.Shape.Length == 0 ? new H5Dataset((long)array.Data[0]) : new H5Dataset(array.Data.Select(v => (long)v).ToArray(), fileDims: dims);
        return array.Shape.Length == 0 ? new H5Dataset((float)array.Data[0]) : new H5Dataset(array.Data.Select(v => (float)v).ToArray(), fileDims: dims);
    }

    private static string ReadString(string path, long fileLength, IH5Group group, string name)
    {
        if (!group.LinkExists(name)) throw new InvalidDataException($"{path}: '{group.Name}' has no '{name}'.");
        var d = group.Dataset(name);
        DeclaredSize.Require(path, fileLength, d, $"'{group.Name}/{name}'");
        return d.Type.Class is H5DataTypeClass.String or H5DataTypeClass.VariableLength ? d.Read<string>()
            : throw new InvalidDataException($"{path}: '{group.Name}/{name}' is not a string.");
    }

    /// <summary>A numeric dataset as an array; null for strings and other kinds NIR nodes do not hold as numbers.</summary>
    private static NirArray? ReadArray(string path, long fileLength, IH5Dataset d)
    {
        DeclaredSize.Require(path, fileLength, d, $"'{d.Name}'");
        int[] shape = d.Space.Type == H5DataspaceType.Scalar ? [] : d.Space.Dimensions.Select(v => checked((int)v)).ToArray();
        var t = d.Type;
        double[]? data = (t.Class, t.Size, t.Class == H5DataTypeClass.FixedPoint && t.FixedPoint.IsSigned) switch
        {
            (H5DataTypeClass.FloatingPoint, 4, _) => d.Read<float[]>().Select(v => (double)v).ToArray(),
            (H5DataTypeClass.FloatingPoint, 8, _) => d.Read<double[]>(),
            (H5DataTypeClass.FixedPoint, 8, true) => d.Read<long[]>().Select(v => (double)v).ToArray(),
            (H5DataTypeClass.FixedPoint, 4, true) => d.Read<int[]>().Select(v => (double)v).ToArray(),
            (H5DataTypeClass.FixedPoint, 8, false) => d.Read<ulong[]>().Select(v => (double)v).ToArray(),
            (H5DataTypeClass.FixedPoint, 4, false) => d.Read<uint[]>().Select(v => (double)v).ToArray(),
            (H5DataTypeClass.FixedPoint, 1, false) => d.Read<byte[]>().Select(v => (double)v).ToArray(), // booleans
            _ => null,
        };
        if (data is null) return null;
        long expected = shape.Aggregate(1L, (a, b) => a * b);
        return data.LongLength == expected ? new NirArray(data, shape, t.Class == H5DataTypeClass.FixedPoint)
            : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"'{d.Name}' holds {data.Length} values for shape [{string.Join(", ", shape)}]."));
    }
}

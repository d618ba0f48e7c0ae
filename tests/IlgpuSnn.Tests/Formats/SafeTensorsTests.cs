using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using IlgpuSnn.Runtime;
using IlgpuSnn.Tests.Support;
using IlgpuSnn.Training;
using IlgpuSnn.Formats;

namespace IlgpuSnn.Tests.Formats;

public sealed class SafeTensorsTests(TestDevice fixture) : IDisposable
{
    private readonly TempFolder tmp = new();

    private Device D => fixture.Device;

    public void Dispose() => tmp.Dispose();

    [Fact]
    public void Round_trip_keeps_names_shapes_values_and_metadata()
    {
        var a = Rand.Uniform(6, 1);
        var b = Rand.Uniform(5, 2);
        var path = tmp.File("model.safetensors");
        using (TensorScope.Begin())
        {
            var tensors = new Dictionary<string, Tensor>
            {
                ["layer.0.weight"] = Tensor.FromArray(D, a, 2, 3),
                ["layer.0.bias"] = Tensor.FromArray(D, b, 5),
                ["step"] = Tensor.FromArray(D, [3.5f]), // 0-d
            };
            SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "3" });
        }

        var loaded = SafeTensors.Load(path, out var meta);
        Assert.Equal(3, loaded.Count);
        Assert.Equal([2, 3], loaded["layer.0.weight"].Shape);
        Assert.Equal(a, loaded["layer.0.weight"].Data);
        Assert.Equal([5], loaded["layer.0.bias"].Shape);
        Assert.Equal(b, loaded["layer.0.bias"].Data);
        Assert.Empty(loaded["step"].Shape);
        Assert.Equal([3.5f], loaded["step"].Data);
        Assert.Equal("pt", meta["format"]);
        Assert.Equal("3", meta["epoch"]);
    }

    [Fact]
    public void Written_file_follows_the_official_layout()
    {
        var path = tmp.File("x.safetensors");
        using (TensorScope.Begin())
            SafeTensors.Save(path, [new("w", Tensor.FromArray(D, [1f, -2f, 0.25f], 3)), new("z", Tensor.FromArray(D, [7f], 1, 1))]);

        var bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        var headerText = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.EndsWith("}", headerText.TrimEnd(' '), StringComparison.Ordinal); // padding is spaces only
        using var doc = JsonDocument.Parse(headerText);
        var w = doc.RootElement.GetProperty("w");
        Assert.Equal("F32", w.GetProperty("dtype").GetString());
        Assert.Equal([3], w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var offs = w.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var z = doc.RootElement.GetProperty("z").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(16, bytes.Length - 8 - n);
        Assert.Equal([0L, 12L], offs);
        Assert.Equal([12L, 16L], z);
        long d = 8 + n;
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)d + 4)));
        Assert.Equal(7f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)d + 12)));
        Assert.False(doc.RootElement.TryGetProperty("__metadata__", out _));
    }

    private static byte[] FileBytes(string header, params float[] values)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + 4 * values.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + h.Length + 4 * i), values[i]);
        return bytes;
    }

    [Fact]
    public void Hand_written_official_file_loads()
    {
        // Keys out of offset order, no padding, metadata present: all legal in the format.
        var path = tmp.File("hand.safetensors");
        File.WriteAllBytes(path, FileBytes(
            """{"__metadata__":{"format":"pt"},"bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}""",
            1f, 2f, 3f, 4f, -1f, 0.5f));
        var t = SafeTensors.Load(path, out var meta);
        Assert.Equal([2, 2], t["w"].Shape);
        Assert.Equal([1f, 2f, 3f, 4f], t["w"].Data);
        Assert.Equal([-1f, 0.5f], t["bias"].Data);
        Assert.Equal("pt", meta["format"]);
    }

    public static TheoryData<string, string> CorruptHeaders => new()
    {
        { "dtype", """{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}""" },
        { "outside", """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""" },
        { "overlap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""" },
        { "hole", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""" },
        { "size", """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""" },
        { "uncovered", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""" },
        { "json", """{"w":{"dtype":"F32",""" },
        { "array", """[1,2]""" },
        { "shape", """{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""" },
        { "offsets", """{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""" },
        { "metadata", """{"__metadata__":{"epoch":3},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""" },
    };

    [Theory]
    [MemberData(nameof(CorruptHeaders))]
    public void Corrupt_headers_are_rejected_naming_the_file(string name, string header)
    {
        var path = tmp.File(name + ".safetensors");
        File.WriteAllBytes(path, FileBytes(header, 1f, 2f)); // 8 data bytes
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path, out _));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_header_lengths_are_rejected()
    {
        var shortPath = tmp.File("short");
        File.WriteAllBytes(shortPath, [1, 0, 0]);
        Assert.Contains(shortPath, Assert.Throws<InvalidDataException>(() => SafeTensors.Load(shortPath, out _)).Message, StringComparison.Ordinal);

        var bytes = FileBytes("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 1f);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length); // longer than the file
        var longPath = tmp.File("long");
        File.WriteAllBytes(longPath, bytes);
        Assert.Contains(longPath, Assert.Throws<InvalidDataException>(() => SafeTensors.Load(longPath, out _)).Message, StringComparison.Ordinal);

        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(longPath, bytes);
        Assert.Throws<InvalidDataException>(() => SafeTensors.Load(longPath, out _));
    }

    [Fact]
    public void Duplicate_or_reserved_names_are_rejected_on_save()
    {
        using var scope = TensorScope.Begin();
        var t = Tensor.Zeros(D, 2);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(tmp.File("d"), [new("a", t), new("a", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(tmp.File("m"), [new("__metadata__", t)]));
        Assert.False(File.Exists(tmp.File("d")));
    }
}

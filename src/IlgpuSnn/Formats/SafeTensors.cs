using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Formats;

/// <summary>
/// Reads and writes the safetensors format (F32 only), so checkpoints can be opened from Python
/// (<c>safetensors.torch.load_file</c>). Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"__metadata__": {..strings..}, "name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}</c>,
/// padded with spaces to a multiple of 8), then the little-endian tensor bytes, offsets relative to the end of the
/// header, contiguous and without holes.
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>
    /// Writes <paramref name="tensors"/> (copied from the device) and optional string <paramref name="metadata"/> to
    /// <paramref name="path"/>, atomically (see <see cref="AtomicFile"/>). Tensors are stored in the order given.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Names and tensors, stored in this order.</param>
    /// <param name="metadata">String key/value pairs for the "__metadata__" header entry; null = none.</param>
    /// <exception cref="ArgumentException">A name is empty, repeated or "__metadata__".</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(string Name, int[] Shape, float[] Data)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException($"SafeTensors.Save '{path}': a tensor has an empty name.", nameof(tensors));
            if (name == MetadataKey)
                throw new ArgumentException($"SafeTensors.Save '{path}': the name '{MetadataKey}' is reserved.", nameof(tensors));
            if (!seen.Add(name))
                throw new ArgumentException($"SafeTensors.Save '{path}': the name '{name}' appears twice.", nameof(tensors));
            ArgumentNullException.ThrowIfNull(tensor);
            entries.Add((name, tensor.ShapeArray(), tensor.ToArray()));
        }

        var header = BuildHeader(entries, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var e in entries) WriteLittleEndian(stream, e.Data);
        });
    }

    /// <summary>
    /// Reads a safetensors file. Every tensor must be F32; the header length, the JSON, the shapes and the offsets
    /// (inside the file, contiguous, no overlap, no holes) are validated.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="metadata">The "__metadata__" string map (empty when absent).</param>
    /// <returns>Each tensor's shape and values, in header order.</returns>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file.</exception>
    public static IReadOnlyDictionary<string, (int[] Shape, float[] Data)> Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw Bad(path, "it is a folder, not a file");
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long fileLength = file.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (file.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw Bad(path, $"{fileLength} bytes is too short for the 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (n == 0 || n > (ulong)(fileLength - 8) || n > MaxHeaderBytes)
            throw Bad(path, $"header length {n} (offset 0) is invalid for a file of {fileLength} bytes (at most {MaxHeaderBytes})");
        int headerLength = (int)n;
        long dataStart = 8 + headerLength;
        long dataLength = fileLength - dataStart;
        var header = new byte[headerLength];
        if (file.ReadAtLeast(header, headerLength, throwOnEndOfStream: false) < headerLength)
            throw Bad(path, "the file ended inside the header");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Safetensors file '{path}': the header (offset 8) is not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad(path, "the header is not a JSON object");
            var meta = new Dictionary<string, string>(StringComparer.Ordinal);
            var infos = new List<(string Name, int[] Shape, long Begin, long End)>();
            try
            {
                ReadHeader(path, doc.RootElement, dataLength, meta, infos);
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidDataException($"Safetensors file '{path}': the header holds invalid text ({e.Message}).", e);
            }

            var sorted = infos.OrderBy(i => i.Begin).ThenBy(i => i.End).ToList();
            long expectedBegin = 0;
            foreach (var info in sorted)
            {
                if (info.Begin < expectedBegin)
                    throw Bad(path, $"tensor '{info.Name}' data [{info.Begin}, {info.End}) overlaps the previous tensor (which ends at {expectedBegin})");
                if (info.Begin > expectedBegin)
                    throw Bad(path, $"tensor '{info.Name}' data starts at {info.Begin}, leaving a hole after byte {expectedBegin}; data must be contiguous");
                expectedBegin = info.End;
            }
            if (expectedBegin != dataLength)
                throw Bad(path, $"the tensors cover {expectedBegin} data bytes but the file holds {dataLength} after the header");

            var result = new Dictionary<string, (int[] Shape, float[] Data)>(StringComparer.Ordinal);
            foreach (var info in sorted)
            {
                var data = new float[(info.End - info.Begin) / sizeof(float)];
                var bytes = MemoryMarshal.AsBytes(data.AsSpan());
                if (file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length)
                    throw Bad(path, $"the file ended inside tensor '{info.Name}' (offset {dataStart + info.Begin})");
                if (!BitConverter.IsLittleEndian) ReverseEndianness(data);
                result[info.Name] = (info.Shape, data);
            }
            metadata = meta;
            return infos.ToDictionary(i => i.Name, i => result[i.Name], StringComparer.Ordinal);
        }
    }

    /// <summary>Collects the metadata and the tensor entries of a parsed header; invalid UTF-8 surfaces as InvalidOperationException.</summary>
    private static void ReadHeader(string path, JsonElement root, long dataLength, Dictionary<string, string> meta, List<(string Name, int[] Shape, long Begin, long End)> infos)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prop in root.EnumerateObject())
        {
            if (!names.Add(prop.Name)) throw Bad(path, $"the key '{prop.Name}' appears twice in the header");
            if (prop.Name == MetadataKey)
            {
                if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad(path, $"'{MetadataKey}' is not an object");
                foreach (var m in prop.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String)
                        throw Bad(path, $"metadata value '{m.Name}' is not a string");
                    if (!meta.TryAdd(m.Name, m.Value.GetString()!)) throw Bad(path, $"metadata key '{m.Name}' appears twice");
                }
                continue;
            }
            infos.Add(ParseEntry(path, prop.Name, prop.Value, dataLength));
        }
    }

    private static (string Name, int[] Shape, long Begin, long End) ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Bad(path, $"entry '{name}' is not an object");
        if (!value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw Bad(path, $"tensor '{name}' has no string 'dtype'");
        if (dtype.GetString() != "F32")
            throw Bad(path, $"tensor '{name}' has dtype {dtype.GetString()}; only F32 is supported");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{name}' has no 'shape' array");
        var shape = new int[shapeElement.GetArrayLength()];
        long count = 1;
        int k = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out shape[k]) || shape[k] < 0)
                throw Bad(path, $"tensor '{name}' has an invalid shape {shapeElement.GetRawText()}");
            count *= shape[k];
            if (count > Array.MaxLength) throw Bad(path, $"tensor '{name}' shape {shapeElement.GetRawText()} is too large");
            k++;
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad(path, $"tensor '{name}' has no 'data_offsets' pair");
        if (offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad(path, $"tensor '{name}' has invalid data_offsets {offsets.GetRawText()}");
        if (end > dataLength)
            throw Bad(path, $"tensor '{name}' data_offsets [{begin}, {end}) lie outside the {dataLength} data bytes of the file");
        if (end - begin != count * sizeof(float))
            throw Bad(path, $"tensor '{name}' of shape [{string.Join(", ", shape)}] needs {count * sizeof(float)} bytes but data_offsets [{begin}, {end}) span {end - begin}");
        return (name, shape, begin, end);
    }

    private static byte[] BuildHeader(List<(string Name, int[] Shape, float[] Data)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (var d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)e.Data.Length * sizeof(float);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int pad = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < pad; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteLittleEndian(Stream stream, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }
        var tmp = new byte[4];
        foreach (var v in data)
        {
            BinaryPrimitives.WriteSingleLittleEndian(tmp, v);
            stream.Write(tmp);
        }
    }

    private static void ReverseEndianness(float[] data)
    {
        var words = MemoryMarshal.Cast<float, uint>(data.AsSpan());
        BinaryPrimitives.ReverseEndianness(words, words);
    }

    private static InvalidDataException Bad(string path, string what) => new($"Safetensors file '{path}': {what}.");
}

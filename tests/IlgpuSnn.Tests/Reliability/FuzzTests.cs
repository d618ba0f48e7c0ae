using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using IlgpuSnn.Formats;
using IlgpuSnn.Data;
using IlgpuSnn.Tools.GradCheck;
using IlgpuSnn.Tests.Data;
using IlgpuSnn.Training;

using IlgpuSnn.Tests.Support;

namespace IlgpuSnn.Tests.Reliability;

/// <summary>
/// Bounded fuzzing of every parser with a fixed seed: random and mutated inputs either parse or raise the parser's
/// documented exception (InvalidDataException for files, FormatException for gradcheck cases), nothing else. CI runs a
/// 2,000 cases per parser (about a second each); set ILGPUSNN_FUZZ_ITERATIONS for longer runs.
/// </summary>
public sealed class FuzzTests
{
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("ILGPUSNN_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 2000;

    [Fact]
    public void Idx_raw_files() => FuzzFiles(7, gzip: false);

    [Fact]
    public void Idx_gzip_files() => FuzzFiles(8, gzip: true);

    [Fact]
    public void Safetensors_files()
    {
        using var tmp = new TempFolder();
        var rng = new Random(9);
        var path = tmp.File("f.safetensors");
        for (int i = 0; i < Iterations; i++)
        {
            var bytes = i % 4 == 0 ? RandomBytes(rng, rng.Next(0, 300)) : MutateSafetensors(rng, ValidSafetensors(rng));
            File.WriteAllBytes(path, bytes);
            Expect<InvalidDataException>(i, bytes, () => SafeTensors.Load(path, out _));
        }
    }

    [Fact]
    public void Checkpoint_metadata()
    {
        var rng = new Random(10);
        string[] keys = ["format", "epochs_done", "step", "optimizer_steps", "estimator", "history", "setting.time_steps"];
        string[] values = ["", "-1", "0", "1", "2", "1.5", "99999999999999999999", "x", " 1", "1 ", "null", "[]", "[{\"Epoch\":1}]", "[{\"Epoch\":2}]",
            "[{\"Epoch\":1,\"TrainLoss\":null}]", "[null]", "{}", "[{\"Epoch\":\"1\"}]", "[{\"Epoch\":1e3}]", CheckpointValidator.Format, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]"];
        for (int i = 0; i < Iterations; i++)
        {
            var metadata = new Dictionary<string, string>
            {
                ["format"] = CheckpointValidator.Format, ["epochs_done"] = "1", ["step"] = "4", ["optimizer_steps"] = "4", ["estimator"] = "bptt",
                ["history"] = "[{\"Epoch\":1,\"TrainLoss\":2.1}]",
            };
            for (int m = rng.Next(1, 4); m > 0; m--)
            {
                var key = keys[rng.Next(keys.Length)];
                if (rng.Next(5) == 0) metadata.Remove(key);
                else metadata[key] = values[rng.Next(values.Length)];
            }
            Expect<InvalidDataException>(i, Encoding.UTF8.GetBytes(string.Join(";", metadata)), () => CheckpointValidator.ValidateMetadata("fuzz", metadata));
        }
    }

    [Fact]
    public void Gradcheck_cases()
    {
        const string valid = """
            {"estimator": "tt-lbptt", "loss": "per-step",
             "neuron": {"decay": 0.5, "threshold": 1.0, "reset": "soft", "detach_reset": false, "surrogate": "sigmoid", "alpha": 4.0},
             "inputs": [[1.5, 0.2], [0.4, 0.1], [1.0, 0.0]], "target": [0.5],
             "layers": [[[0.8, 0.1]], [[0.7]]], "readout": [[1.0]],
             "options": {"window": 2, "blocks": [[0], [1]], "aux_heads": {"0": [[0.3]]}, "update": "per-window", "k_set": [1, 3], "all_trace": true}}
            """;
        string[] tokens = ["1e39", "-1e39", "null", "[", "]", "{", "}", "\"x\"", "-1", "0", "1e9", "2147483648", "true", ",", ":", "\"hard\"", "\"bptt\"", "[]", "{}", "0.5", "\"0\"", "\"9\""];
        var rng = new Random(11);
        GradCheckCase.Parse(valid);
        for (int i = 0; i < Iterations; i++)
        {
            var text = new StringBuilder(valid);
            for (int m = rng.Next(1, 4); m > 0; m--)
            {
                int at = rng.Next(text.Length);
                int len = Math.Min(rng.Next(0, 6), text.Length - at);
                switch (rng.Next(3))
                {
                    case 0: text.Remove(at, len); break;
                    case 1: text.Insert(at, tokens[rng.Next(tokens.Length)]); break;
                    default: text.Remove(at, len).Insert(at, tokens[rng.Next(tokens.Length)]); break;
                }
            }
            var s = text.ToString();
            Expect<FormatException>(i, Encoding.UTF8.GetBytes(s), () => GradCheckCase.Parse(s));
        }
    }

    private static void FuzzFiles(int seed, bool gzip)
    {
        using var tmp = new TempFolder();
        var rng = new Random(seed);
        var path = tmp.File("f");
        for (int i = 0; i < Iterations; i++)
        {
            byte[] raw = i % 4 == 0 ? RandomBytes(rng, rng.Next(0, 64)) : Mutate(rng, ValidIdx(rng));
            byte[] bytes = raw;
            if (gzip)
            {
                bytes = IdxBytes.Gzip(raw);
                if (rng.Next(2) == 0) bytes = Mutate(rng, bytes);
            }
            File.WriteAllBytes(path, bytes);
            Expect<InvalidDataException>(i, bytes, () => IdxReader.Read(path));
        }
    }

    private static void Expect<TDocumented>(int iteration, byte[] input, Action parse)
        where TDocumented : Exception
    {
        try
        {
            parse();
        }
        catch (TDocumented)
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"iteration {iteration}: {e.GetType().Name} instead of {typeof(TDocumented).Name}: {e.Message}\ninput (base64): {Convert.ToBase64String(input)}");
        }
    }

    private static byte[] ValidIdx(Random rng)
    {
        byte[] types = [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E];
        byte type = types[rng.Next(types.Length)];
        var dims = Enumerable.Range(0, rng.Next(1, 4)).Select(_ => rng.Next(1, 5)).ToArray();
        int size = dims.Aggregate(1, (a, d) => a * d) * (type switch { 0x0B => 2, 0x0C or 0x0D => 4, 0x0E => 8, _ => 1 });
        return IdxBytes.Build(type, dims, RandomBytes(rng, size));
    }

    private static byte[] ValidSafetensors(Random rng)
    {
        var tensors = Enumerable.Range(0, rng.Next(0, 4)).Select(i => (Name: $"t{i}", Shape: Enumerable.Range(0, rng.Next(0, 3)).Select(_ => rng.Next(0, 4)).ToArray())).ToList();
        var header = new StringBuilder("{\"__metadata__\": {\"format\": \"x\"}");
        long offset = 0;
        foreach (var (name, shape) in tensors)
        {
            long bytes = 4L * shape.Aggregate(1, (a, d) => a * d);
            header.Append(CultureInfo.InvariantCulture, $", \"{name}\": {{\"dtype\": \"F32\", \"shape\": [{string.Join(", ", shape)}], \"data_offsets\": [{offset}, {offset + bytes}]}}");
            offset += bytes;
        }
        header.Append('}');
        var json = Encoding.UTF8.GetBytes(header.ToString());
        var file = new byte[8 + json.Length + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        rng.NextBytes(file.AsSpan(8 + json.Length));
        return file;
    }

    private static byte[] MutateSafetensors(Random rng, byte[] valid)
    {
        if (rng.Next(3) > 0) return Mutate(rng, valid);
        // Change a number or a keyword inside the JSON header, keeping the length field right.
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        var header = Encoding.UTF8.GetString(valid, 8, length);
        string[] replacements = ["-1", "99999999999", "1e3", "null", "\"F16\"", "[]", "{}", "[1,2,3]", "4294967296", "0"];
        int at = rng.Next(header.Length);
        int len = Math.Min(rng.Next(1, 4), header.Length - at);
        header = header.Remove(at, len).Insert(at, replacements[rng.Next(replacements.Length)]);
        var json = Encoding.UTF8.GetBytes(header);
        var data = valid.AsSpan(8 + length).ToArray();
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    private static byte[] Mutate(Random rng, byte[] input)
    {
        var bytes = input.ToList();
        for (int m = rng.Next(1, 4); m > 0; m--)
        {
            switch (rng.Next(4))
            {
                case 0 when bytes.Count > 0: bytes[rng.Next(bytes.Count)] = (byte)rng.Next(256); break;
                case 1 when bytes.Count > 0: bytes.RemoveRange(rng.Next(bytes.Count), 1); break;
                case 2: bytes.Insert(rng.Next(bytes.Count + 1), (byte)rng.Next(256)); break;
                default:
                    int cut = rng.Next(bytes.Count + 1);
                    bytes.RemoveRange(cut, bytes.Count - cut);
                    break;
            }
        }
        return bytes.ToArray();
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}

using System.Text.Json;
using IlgpuSnn.Estimators;
using IlgpuSnn.Neurons;

namespace IlgpuSnn.Tools.GradCheck;

/// <summary>
/// A gradient-check case: a tiny fully connected spiking network at fixed weights, one input sequence (batch of one),
/// a target, an estimator and its options. Parsed from the JSON that <c>snn gradcheck</c> reads; every malformed input is
/// rejected with a message naming the key.
/// </summary>
public sealed class GradCheckCase
{
    private static readonly string[] TopKeys = ["estimator", "loss", "neuron", "inputs", "target", "layers", "readout", "options"];
    private static readonly string[] NeuronKeys = ["decay", "threshold", "reset", "detach_reset", "surrogate", "alpha"];
    private static readonly string[] OptionKeys = ["k_set", "window", "blocks", "aux_heads", "update", "all_trace", "official_scale"];

    /// <summary>Estimator name.</summary>
    public required string Estimator { get; init; }

    /// <summary>Loss reduction over time.</summary>
    public required LossReduction Loss { get; init; }

    /// <summary>Neuron dynamics shared by every layer.</summary>
    public required NeuronSpec Neuron { get; init; }

    /// <summary>Input rows x[t], one per step.</summary>
    public required float[][] Inputs { get; init; }

    /// <summary>Target vector y.</summary>
    public required float[] Target { get; init; }

    /// <summary>Weights of each spiking layer, [out][in].</summary>
    public required float[][][] Layers { get; init; }

    /// <summary>Read-out weights [outputs][n_L].</summary>
    public required float[][] Readout { get; init; }

    /// <summary>Estimator options.</summary>
    public required EstimatorOptions Options { get; init; }

    /// <summary>TT-LBPTT auxiliary heads by block index, [outputs][n].</summary>
    public required IReadOnlyDictionary<int, float[][]> AuxHeads { get; init; }

    /// <summary>The largest case accepted, in characters (a tiny network's case is a few kilobytes).</summary>
    public const int MaxChars = 4 << 20;

    /// <summary>Parses and validates a case.</summary>
    /// <exception cref="FormatException">Malformed input, or more than <see cref="MaxChars"/> characters; the message says what and where.</exception>
    public static GradCheckCase Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxChars)
            throw new FormatException($"gradcheck: the case has {json.Length} characters; at most {MaxChars} are accepted.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"gradcheck: the case is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("gradcheck: the case must be a JSON object.");
            RejectUnknown(root, TopKeys, "the case");
            var estimator = root.TryGetProperty("estimator", out var e) ? String(e, "estimator") : "bptt";
            if (!EstimatorFactory.Names.Contains(estimator))
                throw new FormatException($"gradcheck: unknown estimator '{estimator}'. Valid: {string.Join(", ", EstimatorFactory.Names)}.");
            var loss = (root.TryGetProperty("loss", out var l) ? String(l, "loss") : "per-step") switch
            {
                "per-step" => LossReduction.PerStep,
                "mean-output" => LossReduction.MeanOutput,
                var other => throw new FormatException($"gradcheck: unknown loss '{other}'. Valid: per-step, mean-output."),
            };
            var neuron = ParseNeuron(root.TryGetProperty("neuron", out var n) ? n : default);
            var inputs = Matrix(Required(root, "inputs"), "inputs");
            var target = Vector(Required(root, "target"), "target");
            var layersElement = Required(root, "layers");
            if (layersElement.ValueKind != JsonValueKind.Array || layersElement.GetArrayLength() == 0)
                throw new FormatException("gradcheck: 'layers' must be a non-empty array of weight matrices.");
            var layers = layersElement.EnumerateArray().Select((w, i) => Matrix(w, $"layers[{i}]")).ToArray();
            var readout = Matrix(Required(root, "readout"), "readout");
            int width = inputs[0].Length;
            for (int i = 0; i < layers.Length; i++)
            {
                if (layers[i][0].Length != width)
                    throw new FormatException($"gradcheck: layers[{i}] is [{layers[i].Length}][{layers[i][0].Length}] but its input has {width} values.");
                width = layers[i].Length;
            }
            if (readout[0].Length != width)
                throw new FormatException($"gradcheck: readout is [{readout.Length}][{readout[0].Length}] but the last layer has {width} neurons.");
            if (target.Length != readout.Length)
                throw new FormatException($"gradcheck: target has {target.Length} values, the read-out {readout.Length} outputs.");
            var (options, heads) = ParseOptions(root.TryGetProperty("options", out var o) ? o : default, layers, readout.Length, inputs.Length);
            return new GradCheckCase
            {
                Estimator = estimator, Loss = loss, Neuron = neuron, Inputs = inputs, Target = target, Layers = layers,
                Readout = readout, Options = options, AuxHeads = heads,
            };
        }
    }

    private static NeuronSpec ParseNeuron(JsonElement n)
    {
        if (n.ValueKind == JsonValueKind.Undefined) return new NeuronSpec();
        if (n.ValueKind != JsonValueKind.Object) throw new FormatException("gradcheck: 'neuron' must be an object.");
        RejectUnknown(n, NeuronKeys, "neuron");
        var reset = (n.TryGetProperty("reset", out var r) ? String(r, "neuron.reset") : "soft") switch
        {
            "soft" => ResetMode.Soft,
            "hard" => ResetMode.Hard,
            var other => throw new FormatException($"gradcheck: unknown reset '{other}'. Valid: soft, hard."),
        };
        float? alpha = n.TryGetProperty("alpha", out var a) ? Number(a, "neuron.alpha") : null;
        Surrogate surrogate;
        try
        {
            surrogate = Surrogate.Parse(n.TryGetProperty("surrogate", out var s) ? String(s, "neuron.surrogate") : "sigmoid", alpha);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException("gradcheck: " + ex.Message, ex);
        }
        try
        {
            return new NeuronSpec(
                n.TryGetProperty("decay", out var d) ? Number(d, "neuron.decay") : 0.5f,
                n.TryGetProperty("threshold", out var t) ? Number(t, "neuron.threshold") : 1f,
                reset,
                n.TryGetProperty("detach_reset", out var dr) && Bool(dr, "neuron.detach_reset"),
                surrogate);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException("gradcheck: " + ex.Message, ex);
        }
    }

    private static (EstimatorOptions, Dictionary<int, float[][]>) ParseOptions(JsonElement o, float[][][] layers, int outputs, int steps)
    {
        var heads = new Dictionary<int, float[][]>();
        if (o.ValueKind == JsonValueKind.Undefined) return (new EstimatorOptions(), heads);
        if (o.ValueKind != JsonValueKind.Object) throw new FormatException("gradcheck: 'options' must be an object.");
        RejectUnknown(o, OptionKeys, "options");
        int[]? kSet = null;
        if (o.TryGetProperty("k_set", out var k))
        {
            kSet = Vector(k, "options.k_set").Select(v => (int)v).ToArray();
            if (kSet.Any(s => s < 1 || s > steps) || kSet.Distinct().Count() != kSet.Length)
                throw new FormatException($"gradcheck: options.k_set must hold distinct steps in 1..{steps}.");
        }
        int? window = null;
        if (o.TryGetProperty("window", out var w))
        {
            window = (int)Number(w, "options.window");
            if (window < 1) throw new FormatException("gradcheck: options.window must be at least 1.");
        }
        int[][]? blocks = null;
        if (o.TryGetProperty("blocks", out var b))
        {
            if (b.ValueKind != JsonValueKind.Array) throw new FormatException("gradcheck: options.blocks must be an array of arrays of layer indices.");
            blocks = b.EnumerateArray().Select((x, i) => Vector(x, $"options.blocks[{i}]").Select(v => (int)v).ToArray()).ToArray();
            if (!blocks.SelectMany(x => x).SequenceEqual(Enumerable.Range(0, layers.Length)))
                throw new FormatException($"gradcheck: options.blocks must list the layer indices 0..{layers.Length - 1} in order, each once.");
        }
        if (o.TryGetProperty("aux_heads", out var h))
        {
            if (h.ValueKind != JsonValueKind.Object) throw new FormatException("gradcheck: options.aux_heads must map block indices to matrices.");
            foreach (var p in h.EnumerateObject())
            {
                if (!int.TryParse(p.Name, out int block) || blocks is null || block < 0 || block >= blocks.Length - 1)
                    throw new FormatException($"gradcheck: options.aux_heads key '{p.Name}' is not the index of a non-final block.");
                var m = Matrix(p.Value, $"options.aux_heads.{p.Name}");
                int n = layers[blocks[block][^1]].Length;
                if (m.Length != outputs || m[0].Length != n)
                    throw new FormatException($"gradcheck: options.aux_heads.{p.Name} is [{m.Length}][{m[0].Length}], expected [{outputs}][{n}].");
                heads[block] = m;
            }
        }
        if (blocks is not null)
            for (int i = 0; i < blocks.Length - 1; i++)
                if (!heads.ContainsKey(i)) throw new FormatException($"gradcheck: block {i} needs an auxiliary head in options.aux_heads.");
        bool perWindow = false;
        if (o.TryGetProperty("update", out var u))
        {
            perWindow = String(u, "options.update") switch
            {
                "accumulated" => false,
                "per-window" => true,
                var other => throw new FormatException($"gradcheck: unknown options.update '{other}'. Valid: accumulated, per-window."),
            };
        }
        return (new EstimatorOptions
        {
            KSet = kSet,
            Window = window,
            Blocks = blocks,
            PerWindowUpdate = perWindow,
            AllTrace = o.TryGetProperty("all_trace", out var at) && Bool(at, "options.all_trace"),
            OfficialScale = o.TryGetProperty("official_scale", out var os) && Bool(os, "options.official_scale"),
        }, heads);
    }

    private static JsonElement Required(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) ? v : throw new FormatException($"gradcheck: '{key}' is required.");

    private static void RejectUnknown(JsonElement obj, string[] known, string where)
    {
        foreach (var p in obj.EnumerateObject())
            if (!known.Contains(p.Name))
                throw new FormatException($"gradcheck: unknown key '{p.Name}' in {where}. Known: {string.Join(", ", known)}.");
    }

    private static string String(JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new FormatException($"gradcheck: '{key}' must be a string.");

    private static bool Bool(JsonElement e, string key) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new FormatException($"gradcheck: '{key}' must be true or false."),
    };

    private static float Number(JsonElement e, string key)
    {
        if (e.ValueKind != JsonValueKind.Number) throw new FormatException($"gradcheck: '{key}' must be a number.");
        float v = e.GetSingle();
        return float.IsFinite(v) ? v : throw new FormatException($"gradcheck: '{key}' = {e.GetRawText()} is outside the float32 range.");
    }

    private static float[] Vector(JsonElement e, string key)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0) throw new FormatException($"gradcheck: '{key}' must be a non-empty array of numbers.");
        return e.EnumerateArray().Select((v, i) => Number(v, $"{key}[{i}]")).ToArray();
    }

    private static float[][] Matrix(JsonElement e, string key)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0) throw new FormatException($"gradcheck: '{key}' must be a non-empty array of rows.");
        var rows = e.EnumerateArray().Select((r, i) => Vector(r, $"{key}[{i}]")).ToArray();
        if (rows.Any(r => r.Length != rows[0].Length)) throw new FormatException($"gradcheck: the rows of '{key}' differ in length.");
        return rows;
    }
}

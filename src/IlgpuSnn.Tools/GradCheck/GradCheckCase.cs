using System.Text.Json;
using IlgpuSnn.Estimators;
using IlgpuSnn.Neurons;

namespace IlgpuSnn.Tools.GradCheck;

/// <summary>
/// A gradient-check case: a tiny fully connected spiking network at fixed weights (each layer z = W·x + b, optionally
/// BatchNorm, then the neuron), one input sequence of a batch of B samples, targets, an estimator and its options. Parsed from the JSON that <c>snn gradcheck</c> reads; every malformed input is
/// rejected with a message naming the key.
/// </summary>
public sealed class GradCheckCase
{
    private static readonly string[] TopKeys = ["estimator", "loss", "neuron", "inputs", "target", "layers", "readout", "options"];
    private static readonly string[] NeuronKeys = ["decay", "threshold", "reset", "detach_reset", "surrogate", "alpha"];
    private static readonly string[] OptionKeys = ["k_set", "window", "blocks", "aux_heads", "update", "all_trace", "official_scale", "bn_stats", "loss_kind", "mse_weight"];
    private static readonly string[] LayerKeys = ["weight", "bias", "batchnorm"];
    private static readonly string[] BatchNormKeys = ["gamma", "beta", "eps"];

    /// <summary>Estimator name.</summary>
    public required string Estimator { get; init; }

    /// <summary>Loss reduction over time.</summary>
    public required LossReduction Loss { get; init; }

    /// <summary>Neuron dynamics shared by every layer.</summary>
    public required NeuronSpec Neuron { get; init; }

    /// <summary>Inputs x[t][b], [T][B][in].</summary>
    public required float[][][] Inputs { get; init; }

    /// <summary>Whether the case gave a batch ([T][B][in] inputs), so the output lists spikes per sample.</summary>
    public bool Batched { get; init; }

    /// <summary>Targets y[b], [B][outputs] (one-hot rows for the cross-entropy criteria).</summary>
    public required float[][] Target { get; init; }

    /// <summary>The criterion ℓ (default ½‖o − y‖²).</summary>
    public Criterion Criterion { get; init; } = Criterion.HalfSquaredError;

    /// <summary>λ of ce+mse.</summary>
    public float MseWeight { get; init; } = 0.05f;

    /// <summary>Weights of each spiking layer, [out][in].</summary>
    public required float[][][] Layers { get; init; }

    /// <summary>Bias of each spiking layer, or null.</summary>
    public float[]?[] Biases { get; init; } = [];

    /// <summary>BatchNorm of each spiking layer (after its synapse, before its neuron), or null.</summary>
    public GradCheckBatchNorm?[] BatchNorms { get; init; } = [];

    /// <summary>Read-out weights [outputs][n_L].</summary>
    public required float[][] Readout { get; init; }

    /// <summary>Read-out bias, or null.</summary>
    public float[]? ReadoutBias { get; init; }

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
            var inputsElement = Required(root, "inputs");
            bool batched = IsNested(inputsElement, 2);
            var inputs = batched ? Tensor3(inputsElement, "inputs") : Matrix(inputsElement, "inputs").Select(r => new[] { r }).ToArray();
            int batch = inputs[0].Length;
            var targetElement = Required(root, "target");
            var target = IsNested(targetElement, 1) ? Matrix(targetElement, "target") : [Vector(targetElement, "target")];
            if (target.Length != batch)
                throw new FormatException($"gradcheck: target has {target.Length} row(s) for a batch of {batch}.");
            var layersElement = Required(root, "layers");
            if (layersElement.ValueKind != JsonValueKind.Array || layersElement.GetArrayLength() == 0)
                throw new FormatException("gradcheck: 'layers' must be a non-empty array of weight matrices or layer objects.");
            var parsed = layersElement.EnumerateArray().Select((w, i) => ParseLayer(w, $"layers[{i}]", allowBatchNorm: true)).ToArray();
            var layers = parsed.Select(p => p.Weight).ToArray();
            var (readout, readoutBias, _) = ParseLayer(Required(root, "readout"), "readout", allowBatchNorm: false);
            int width = inputs[0][0].Length;
            for (int i = 0; i < layers.Length; i++)
            {
                if (layers[i][0].Length != width)
                    throw new FormatException($"gradcheck: layers[{i}] is [{layers[i].Length}][{layers[i][0].Length}] but its input has {width} values.");
                width = layers[i].Length;
            }
            if (readout[0].Length != width)
                throw new FormatException($"gradcheck: readout is [{readout.Length}][{readout[0].Length}] but the last layer has {width} neurons.");
            if (target[0].Length != readout.Length)
                throw new FormatException($"gradcheck: target has {target[0].Length} values per sample, the read-out {readout.Length} outputs.");
            var o = root.TryGetProperty("options", out var oe) ? oe : default;
            var (options, heads) = ParseOptions(o, layers, readout.Length, inputs.Length);
            var (criterion, mseWeight) = ParseLossKind(o);
            if (criterion is Criterion.CrossEntropy or Criterion.CrossEntropyWithSquaredError)
                for (int b = 0; b < batch; b++)
                    if (target[b].Count(v => v == 1f) != 1 || target[b].Any(v => v is not (0f or 1f)))
                        throw new FormatException($"gradcheck: target[{b}] must be one-hot for loss_kind ce or ce+mse.");
            return new GradCheckCase
            {
                Estimator = estimator, Loss = loss, Neuron = neuron, Inputs = inputs, Batched = batched, Target = target,
                Criterion = criterion, MseWeight = mseWeight, Layers = layers, Biases = parsed.Select(p => p.Bias).ToArray(),
                BatchNorms = parsed.Select(p => p.BatchNorm).ToArray(), Readout = readout, ReadoutBias = readoutBias,
                Options = options, AuxHeads = heads,
            };
        }
    }

    private static (float[][] Weight, float[]? Bias, GradCheckBatchNorm? BatchNorm) ParseLayer(JsonElement e, string key, bool allowBatchNorm)
    {
        if (e.ValueKind != JsonValueKind.Object) return (Matrix(e, key), null, null);
        RejectUnknown(e, allowBatchNorm ? LayerKeys : LayerKeys[..2], key);
        var weight = Matrix(Required(e, "weight", key), key + ".weight");
        float[]? bias = e.TryGetProperty("bias", out var b) ? Vector(b, key + ".bias") : null;
        if (bias is not null && bias.Length != weight.Length)
            throw new FormatException($"gradcheck: {key}.bias has {bias.Length} values for {weight.Length} outputs.");
        GradCheckBatchNorm? norm = null;
        if (e.TryGetProperty("batchnorm", out var bn))
        {
            if (bn.ValueKind != JsonValueKind.Object) throw new FormatException($"gradcheck: {key}.batchnorm must be an object.");
            RejectUnknown(bn, BatchNormKeys, key + ".batchnorm");
            var gamma = bn.TryGetProperty("gamma", out var g) ? Vector(g, key + ".batchnorm.gamma") : Enumerable.Repeat(1f, weight.Length).ToArray();
            var beta = bn.TryGetProperty("beta", out var be) ? Vector(be, key + ".batchnorm.beta") : new float[weight.Length];
            float eps = bn.TryGetProperty("eps", out var ep) ? Number(ep, key + ".batchnorm.eps") : 1e-5f;
            if (gamma.Length != weight.Length || beta.Length != weight.Length)
                throw new FormatException($"gradcheck: {key}.batchnorm gamma and beta need {weight.Length} values each.");
            if (!(eps > 0f)) throw new FormatException($"gradcheck: {key}.batchnorm.eps must be positive.");
            norm = new GradCheckBatchNorm(gamma, beta, eps);
        }
        return (weight, bias, norm);
    }

    private static (Criterion, float) ParseLossKind(JsonElement o)
    {
        if (o.ValueKind != JsonValueKind.Object) return (Criterion.HalfSquaredError, 0.05f);
        var criterion = !o.TryGetProperty("loss_kind", out var k) ? Criterion.HalfSquaredError : String(k, "options.loss_kind") switch
        {
            "half-se" => Criterion.HalfSquaredError,
            "mse" => Criterion.SquaredError,
            "ce" => Criterion.CrossEntropy,
            "ce+mse" => Criterion.CrossEntropyWithSquaredError,
            var other => throw new FormatException($"gradcheck: unknown options.loss_kind '{other}'. Valid: half-se, mse, ce, ce+mse."),
        };
        float weight = 0.05f;
        if (o.TryGetProperty("mse_weight", out var w))
        {
            if (criterion != Criterion.CrossEntropyWithSquaredError) throw new FormatException("gradcheck: options.mse_weight needs loss_kind ce+mse.");
            weight = Number(w, "options.mse_weight");
            if (!(weight is >= 0f and <= 1f)) throw new FormatException("gradcheck: options.mse_weight must be in [0, 1].");
        }
        return (criterion, weight);
    }

    private static bool IsNested(JsonElement e, int depth)
    {
        for (int i = 0; i < depth; i++)
        {
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0) return false;
            e = e[0];
        }
        return e.ValueKind == JsonValueKind.Array;
    }

    private static float[][][] Tensor3(JsonElement e, string key)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0) throw new FormatException($"gradcheck: '{key}' must be a non-empty array.");
        var steps = e.EnumerateArray().Select((m, t) => Matrix(m, $"{key}[{t}]")).ToArray();
        if (steps.Any(m => m.Length != steps[0].Length || m[0].Length != steps[0][0].Length))
            throw new FormatException($"gradcheck: the steps of '{key}' differ in shape.");
        return steps;
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
        BatchNormStatistics? bnStats = !o.TryGetProperty("bn_stats", out var bs) ? null : String(bs, "options.bn_stats") switch
        {
            "per-step" => BatchNormStatistics.PerStep,
            "folded" => BatchNormStatistics.Folded,
            var other => throw new FormatException($"gradcheck: unknown options.bn_stats '{other}'. Valid: per-step, folded."),
        };
        return (new EstimatorOptions
        {
            BatchNormStats = bnStats,
            KSet = kSet,
            Window = window,
            Blocks = blocks,
            PerWindowUpdate = perWindow,
            AllTrace = o.TryGetProperty("all_trace", out var at) && Bool(at, "options.all_trace"),
            OfficialScale = o.TryGetProperty("official_scale", out var os) && Bool(os, "options.official_scale"),
        }, heads);
    }

    private static JsonElement Required(JsonElement root, string key, string? within = null) =>
        root.TryGetProperty(key, out var v) ? v : throw new FormatException($"gradcheck: '{(within is null ? key : within + "." + key)}' is required.");

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

/// <summary>A BatchNorm of a gradient-check layer: γ, β and ε (momentum 0.1, running statistics from 0 and 1).</summary>
/// <param name="Gamma">Scale γ per neuron.</param>
/// <param name="Beta">Shift β per neuron.</param>
/// <param name="Eps">Added to the variance.</param>
public sealed record GradCheckBatchNorm(float[] Gamma, float[] Beta, float Eps);

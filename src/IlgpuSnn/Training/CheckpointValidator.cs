using System.Globalization;
using System.Text.Json;
using IlgpuSnn.Runtime;

namespace IlgpuSnn.Training;

/// <summary>A training checkpoint that passed <see cref="CheckpointValidator.Validate"/>: safe to apply.</summary>
/// <param name="EpochsDone">Epochs finished when it was written.</param>
/// <param name="Step">Training iterations done.</param>
/// <param name="OptimizerSteps">The optimizer's step count.</param>
/// <param name="History">One metrics record per finished epoch.</param>
/// <param name="Settings">The run settings it was written with.</param>
public sealed record CheckpointState(int EpochsDone, long Step, long OptimizerSteps, IReadOnlyList<EpochMetrics> History, IReadOnlyDictionary<string, string> Settings);

/// <summary>
/// Validates a training checkpoint completely before anything is applied: the format tag, every metadata value's type
/// and range, the history, and every expected tensor's presence, shape and finiteness. Every failure is an
/// <see cref="InvalidDataException"/> naming the file and the key.
/// </summary>
public static class CheckpointValidator
{
    /// <summary>The format tag of training checkpoints.</summary>
    public const string Format = "ilgpusnn-checkpoint-1";

    /// <summary>Checks <paramref name="metadata"/> and that <paramref name="stored"/> holds every tensor of <paramref name="expected"/> with its shape, all finite.</summary>
    /// <param name="path">Path of the checkpoint, used in messages.</param>
    /// <param name="stored">The tensors read from the checkpoint: name → (shape, values).</param>
    /// <param name="metadata">The checkpoint's string metadata.</param>
    /// <param name="expected">Every tensor the network and optimizer need: name → shape.</param>
    /// <returns>The counters, history and settings the checkpoint records.</returns>
    /// <exception cref="InvalidDataException">Anything is missing, of the wrong type, out of range or not finite.</exception>
    public static CheckpointState Validate(string path, IReadOnlyDictionary<string, (int[] Shape, float[] Data)> stored,
        IReadOnlyDictionary<string, string> metadata, IEnumerable<KeyValuePair<string, IReadOnlyList<int>>> expected)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(expected);
        var state = ValidateMetadata(path, metadata);
        foreach (var (key, shape) in expected)
        {
            if (!stored.TryGetValue(key, out var entry))
                throw new InvalidDataException($"Checkpoint '{path}': tensor '{key}' is missing; the checkpoint does not match this network.");
            if (!entry.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"Checkpoint '{path}': tensor '{key}' has shape {Tensor.Format(entry.Shape)}, the network needs {Tensor.Format(shape)}.");
            int bad = Array.FindIndex(entry.Data, v => Ops.IsNonFinite(v));
            if (bad >= 0)
                throw new InvalidDataException($"Checkpoint '{path}': tensor '{key}' holds a non-finite value ({entry.Data[bad].ToString(CultureInfo.InvariantCulture)}) at element {bad}.");
        }
        return state;
    }

    /// <summary>Checks the metadata alone (format, counters, history).</summary>
    /// <param name="path">Path of the checkpoint, used in messages.</param>
    /// <param name="metadata">The checkpoint's string metadata.</param>
    /// <returns>The counters, history and settings the metadata records.</returns>
    /// <exception cref="InvalidDataException">A key is missing, of the wrong type or out of range.</exception>
    public static CheckpointState ValidateMetadata(string path, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var format = Required(path, metadata, "format");
        if (format != Format) throw Bad(path, "format", format, $"'{Format}'");
        int epochs = (int)Integer(path, metadata, "epochs_done", int.MaxValue);
        long step = Integer(path, metadata, "step", long.MaxValue);
        long optimizerSteps = Integer(path, metadata, "optimizer_steps", long.MaxValue);
        Required(path, metadata, "estimator");
        var text = Required(path, metadata, "history");
        List<EpochMetrics>? history;
        try
        {
            history = JsonSerializer.Deserialize<List<EpochMetrics>>(text, FiniteNumbers.CompactJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}': metadata 'history' is not a JSON list of epoch metrics ({e.Message}).", e);
        }
        if (history is null || history.Count != epochs || history.Where((h, i) => h is null || h.Epoch != i + 1).Any())
            throw new InvalidDataException($"Checkpoint '{path}': metadata 'history' must list epochs 1..{epochs} in order (epochs_done is {epochs}).");
        return new CheckpointState(epochs, step, optimizerSteps, history, ResumeCheck.StoredSettings(metadata));
    }

    private static string Required(string path, IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"Checkpoint '{path}': metadata '{key}' is missing.");

    private static long Integer(string path, IReadOnlyDictionary<string, string> metadata, string key, long max)
    {
        var text = Required(path, metadata, key);
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v > max)
            throw Bad(path, key, text, $"an integer in [0, {max}]");
        return v;
    }

    private static InvalidDataException Bad(string path, string key, string value, string expected) =>
        new($"Checkpoint '{path}': metadata '{key}' is '{(value.Length > 40 ? value[..40] + "…" : value)}', expected {expected}.");
}

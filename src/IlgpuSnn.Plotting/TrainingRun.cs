using System.Text.Json;
using IlgpuSnn.Training;

namespace IlgpuSnn.Plotting;

/// <summary>The per-epoch metrics of one training run, named for a legend.</summary>
/// <param name="Label">Legend text (e.g. the estimator).</param>
/// <param name="History">One entry per epoch.</param>
public sealed record TrainingRun(string Label, IReadOnlyList<EpochMetrics> History)
{
    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Reads a metrics.json written by the trainer; the label is its "estimator" unless given.</summary>
    /// <exception cref="InvalidDataException">The file is not a trainer's metrics.json.</exception>
    public static TrainingRun Read(string metricsJson, string? label = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(metricsJson);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(metricsJson));
            var root = doc.RootElement;
            if (!root.TryGetProperty("history", out var history) || history.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{metricsJson}: no \"history\" array; not a metrics.json written by snn train.");
            var epochs = history.Deserialize<List<EpochMetrics>>(Snake) ?? [];
            var name = label ?? (root.TryGetProperty("estimator", out var e) ? e.GetString() : null) ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(metricsJson)));
            return new TrainingRun(name ?? "run", epochs);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{metricsJson}: not valid JSON ({ex.Message}).", ex);
        }
    }
}

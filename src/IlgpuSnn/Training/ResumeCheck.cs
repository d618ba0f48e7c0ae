using System.Globalization;

namespace IlgpuSnn.Training;

/// <summary>
/// The rules that keep a run's output folder safe: resuming needs a checkpoint, an existing checkpoint is never replaced
/// unless asked, and a checkpoint is only continued by a run with the same settings (unless forced).
/// </summary>
public static class ResumeCheck
{
    /// <summary>Prefix of the run settings inside the checkpoint metadata.</summary>
    public const string SettingPrefix = "setting.";

    /// <summary>
    /// Checks <paramref name="options"/> against what is in its output folder, before any data is loaded or anything
    /// written: with <see cref="TrainingOptions.Resume"/> the checkpoint must exist; without it an existing checkpoint
    /// is an error unless <see cref="TrainingOptions.Overwrite"/> is set.
    /// </summary>
    /// <param name="options">The run's options (output folder, resume and overwrite).</param>
    /// <exception cref="FileNotFoundException">Resume was asked but there is no checkpoint.</exception>
    /// <exception cref="IOException">A checkpoint exists and neither resume nor overwrite was asked.</exception>
    public static void Preflight(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.OutputDirectory is not { } dir) return;
        var path = Path.Combine(dir, Trainer.CheckpointFile);
        if (Directory.Exists(path)) throw new IOException($"'{path}' is a directory, not a checkpoint file.");
        bool exists = File.Exists(path);
        if (options.Resume && !exists)
            throw new FileNotFoundException($"--resume: there is no checkpoint '{path}' to continue from (mistyped --out?).", path);
        if (!options.Resume && !options.Overwrite && exists)
            throw new IOException($"'{path}' already exists: pass --resume to continue it or --overwrite to start again and replace it.");
    }

    /// <summary>
    /// The differences between the settings a checkpoint was written with and those of this run, one readable line
    /// per key ("time_steps: checkpoint 4, this run 8"); empty when they agree.
    /// </summary>
    /// <param name="stored">The settings in the checkpoint.</param>
    /// <param name="current">The settings of this run.</param>
    /// <returns>One line per differing key, sorted by key.</returns>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, string> stored, IReadOnlyDictionary<string, string> current)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(current);
        var keys = stored.Keys.Union(current.Keys).Order(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var key in keys)
        {
            var a = stored.GetValueOrDefault(key);
            var b = current.GetValueOrDefault(key);
            if (a != b) result.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: checkpoint {a ?? "(not recorded)"}, this run {b ?? "(not set)"}"));
        }
        return result;
    }

    /// <summary>The run settings stored in checkpoint <paramref name="metadata"/> (keys without the prefix).</summary>
    /// <param name="metadata">The checkpoint's string metadata.</param>
    /// <returns>A new dictionary of setting name → value.</returns>
    public static Dictionary<string, string> StoredSettings(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.Where(kv => kv.Key.StartsWith(SettingPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[SettingPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
    }
}

/// <summary>A checkpoint was written by a run with other settings; the message lists every difference.</summary>
public sealed class ResumeMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception for the checkpoint at <paramref name="path"/>.</summary>
    /// <param name="path">The checkpoint's path.</param>
    /// <param name="differences">The differing settings, one readable line each.</param>
    public ResumeMismatchException(string path, IReadOnlyList<string> differences)
        : base($"'{path}' was written with other settings ({string.Join("; ", differences ?? [])}). Resuming would mix two runs: use the same settings, another --out, or --force-resume to continue anyway.")
    {
        Differences = differences ?? [];
    }

    /// <summary>One line per differing setting.</summary>
    public IReadOnlyList<string> Differences { get; }
}

using System.Globalization;

namespace IlgpuSnn.Cli;

/// <summary>Checks of option values, run before any data is loaded; each failure names the option.</summary>
internal static class OptionValidation
{
    /// <summary>Requires <paramref name="value"/> ≥ 1.</summary>
    public static void Positive(string option, int value)
    {
        if (value < 1) throw new ArgumentException($"{option} must be at least 1, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>Requires <paramref name="value"/> to be null or ≥ 1.</summary>
    public static void Positive(string option, int? value)
    {
        if (value is { } v) Positive(option, v);
    }

    /// <summary>Requires a finite, positive learning rate.</summary>
    public static void LearningRate(string option, float value)
    {
        if (!float.IsFinite(value) || value <= 0f)
            throw new ArgumentException($"{option} must be a finite number above 0, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>Requires <paramref name="value"/> to be one of <paramref name="valid"/>.</summary>
    public static void OneOf(string option, string value, IEnumerable<string> valid)
    {
        var names = valid.ToList();
        if (!names.Contains(value, StringComparer.Ordinal))
            throw new ArgumentException($"{option} '{value}' is not known. Valid: {string.Join(", ", names)}.");
    }

    /// <summary>A comma-separated list of positive integers.</summary>
    public static int[] PositiveList(string option, string value)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out result[i]) || result[i] < 1)
                throw new ArgumentException($"{option}: '{parts[i]}' is not a positive integer (expected e.g. 2,4,8).");
        if (result.Length == 0) throw new ArgumentException($"{option} lists no values.");
        return result;
    }

    /// <summary>
    /// Makes sure <paramref name="folder"/> is (or can become) a writable folder: not an existing file, creatable, and
    /// a file can be written inside it. Creates the folder.
    /// </summary>
    public static void WritableFolder(string option, string folder)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException($"{option} is empty.");
        if (File.Exists(folder)) throw new ArgumentException($"{option} '{folder}' is an existing file; give a folder.");
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".snn-write-test-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} '{folder}' is not a writable folder: {e.Message}", e);
        }
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace IlgpuSnn.Training;

/// <summary>
/// Keeps metrics files valid whatever the numbers: JSON has no NaN or ∞, so non-finite doubles are written as
/// <c>null</c> (and read back as NaN); CSV cells of non-finite numbers are left empty.
/// </summary>
public static class FiniteNumbers
{
    /// <summary>Serializer options (indented, snake_case) that write non-finite doubles as null.</summary>
    public static JsonSerializerOptions Json { get; } = Create(indented: true, snakeCase: true);

    /// <summary>Compact options with the default names that write non-finite doubles as null (checkpoint metadata).</summary>
    public static JsonSerializerOptions CompactJson { get; } = Create(indented: false, snakeCase: false);

    /// <summary>One CSV cell: invariant culture, empty for NaN or ∞.</summary>
    /// <param name="value">The value; null gives an empty cell.</param>
    /// <returns>The invariant-culture text, or "" for null and non-finite floats and doubles.</returns>
    public static string Cell(object? value) => value switch
    {
        double d when !double.IsFinite(d) => "",
        float f when !float.IsFinite(f) => "",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static JsonSerializerOptions Create(bool indented, bool snakeCase)
    {
        var options = new JsonSerializerOptions { WriteIndented = indented, PropertyNamingPolicy = snakeCase ? JsonNamingPolicy.SnakeCaseLower : null };
        options.Converters.Add(new NullForNonFinite());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed class NullForNonFinite : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Facilities.Cloud.Http;

/// <summary>
/// Writes a double that is not finite as JSON null (the writer refuses NaN and infinities, failing the response);
/// reads numbers as usual. Nullable doubles use it too.
/// </summary>
internal sealed class FiniteOrNullConverter : JsonConverter<double>
{
    /// <summary>As the web defaults read: a number, or a number in a string.</summary>
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

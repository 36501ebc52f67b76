using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Facilities.Cloud.Domain.Rules;

/// <summary>
/// A rule's limit: a number (<c>"above": 85</c>) or a device parameter (<c>"above": { "parameter": "maxSupply" }</c>,
/// optionally scaled and shifted: <c>{ "parameter": "ratedSpeed", "factor": 1.2 }</c>,
/// <c>{ "parameter": "maxSupply", "offset": -5 }</c>), so one rule serves a radiator and a floor-heating boiler.
/// </summary>
[JsonConverter(typeof(LimitJsonConverter))]
public sealed record Limit
{
    /// <summary>A fixed number; null when the limit is a parameter.</summary>
    public double? Value { get; init; }

    /// <summary>The device parameter the limit is taken from (its kind's default, the site's or the device's value).</summary>
    public string? Parameter { get; init; }

    public double Factor { get; init; } = 1;

    public double Offset { get; init; }

    public static implicit operator Limit(double value) => new() { Value = value };

    public static Limit FromDouble(double value) => value;

    /// <summary>The number for a device: the fixed value, or factor × parameter + offset; null when the parameter has no number.</summary>
    public double? Resolve(DeviceSettings? settings) =>
        Value ?? (Parameter is not null && settings?.Number(Parameter) is { } number ? (number * Factor) + Offset : null);

    public override string ToString() => Value is { } value
        ? value.ToString("0.###", CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture,
            $"{(Factor == 1 ? "" : $"{Factor:0.###} × ")}{Parameter}{(Offset == 0 ? "" : Offset < 0 ? $" − {-Offset:0.###}" : $" + {Offset:0.###}")}");
}

/// <summary>Reads and writes a <see cref="Limit"/> as a number or <c>{ "parameter", "factor", "offset" }</c>.</summary>
public sealed class LimitJsonConverter : JsonConverter<Limit>
{
    public override Limit? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.GetDouble();
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a limit is a number or { \"parameter\": \"name\", \"factor\": 1, \"offset\": 0 }");
        }

        string? parameter = null;
        double factor = 1, offset = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "parameter" when reader.TokenType == JsonTokenType.String:
                    parameter = reader.GetString();
                    break;
                case "factor" when reader.TokenType == JsonTokenType.Number:
                    factor = reader.GetDouble();
                    break;
                case "offset" when reader.TokenType == JsonTokenType.Number:
                    offset = reader.GetDouble();
                    break;
                default:
                    throw new JsonException($"a limit has only 'parameter' (text), 'factor' and 'offset' (numbers); got '{name}'");
            }
        }

        return string.IsNullOrWhiteSpace(parameter)
            ? throw new JsonException("a limit object needs 'parameter'")
            : new Limit { Parameter = parameter, Factor = factor, Offset = offset };
    }

    public override void Write(Utf8JsonWriter writer, Limit value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Value is { } number)
        {
            writer.WriteNumberValue(number);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("parameter", value.Parameter);
        if (value.Factor != 1)
        {
            writer.WriteNumber("factor", value.Factor);
        }

        if (value.Offset != 0)
        {
            writer.WriteNumber("offset", value.Offset);
        }

        writer.WriteEndObject();
    }
}

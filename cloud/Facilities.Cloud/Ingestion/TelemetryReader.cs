using System.Text.Json;
using Facilities.Telemetry;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// A fast path for the commonest payload, a telemetry message exactly as gateways write it: the contract's camelCase
/// names, each once, nothing else. It reads with <see cref="Utf8JsonReader"/> straight into the message, where the
/// serializer's general path for a record with a constructor collects arguments and matches names without regard to
/// case (a third of the cloud's processor time outside its transaction in the ingest benchmark). Anything it does
/// not recognise — another spelling, an unknown or repeated name, a value of another type, a missing field, bad JSON —
/// makes it give up, and the caller reads the payload with the serializer as before, errors and all: the same input
/// gets the same message or the same rejection either way.
/// </summary>
internal static class TelemetryReader
{
    /// <summary>The message, or null when the payload is not plainly one (then the serializer decides).</summary>
    public static TelemetryMessage? TryRead(ReadOnlySpan<byte> payload)
    {
        try
        {
            return Read(payload);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    [Flags]
    private enum Seen
    {
        None = 0, Schema = 1, Seq = 2, Ts = 4, Device = 8, Kind = 16, Building = 32, Values = 64, Labels = 128, Heartbeat = 256,
        Required = Schema | Seq | Ts | Device | Kind | Building | Values,
    }

    private static TelemetryMessage? Read(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 8 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        var seen = Seen.None;
        var (schema, seq, ts) = (0, 0L, default(DateTimeOffset));
        string? device = null, kind = null, building = null;
        Dictionary<string, double>? values = null;
        Dictionary<string, string>? labels = null;
        var heartbeat = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = Name(ref reader);
            if (name == Seen.None || (seen & name) != 0 || !reader.Read())
            {
                return null;
            }

            seen |= name;
            switch (name)
            {
                case Seen.Schema when reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out schema):
                case Seen.Seq when reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out seq):
                case Seen.Ts when reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out ts):
                    break;
                case Seen.Device when reader.TokenType == JsonTokenType.String:
                    device = reader.GetString();
                    break;
                case Seen.Kind when reader.TokenType == JsonTokenType.String:
                    kind = reader.GetString();
                    break;
                case Seen.Building when reader.TokenType == JsonTokenType.String:
                    building = reader.GetString();
                    break;
                case Seen.Heartbeat when reader.TokenType is JsonTokenType.True or JsonTokenType.False:
                    heartbeat = reader.GetBoolean();
                    break;
                case Seen.Values when reader.TokenType == JsonTokenType.StartObject:
                    values = [];
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var point = reader.GetString()!;
                        if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value) || !double.IsFinite(value) || !values.TryAdd(point, value))
                        {
                            return null;
                        }
                    }

                    if (reader.TokenType != JsonTokenType.EndObject)
                    {
                        return null;
                    }

                    break;
                case Seen.Labels when reader.TokenType == JsonTokenType.StartObject:
                    labels = [];
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var point = reader.GetString()!;
                        if (!reader.Read() || reader.TokenType != JsonTokenType.String || !labels.TryAdd(point, reader.GetString()!))
                        {
                            return null;
                        }
                    }

                    if (reader.TokenType != JsonTokenType.EndObject)
                    {
                        return null;
                    }

                    break;
                default:
                    return null;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || (seen & Seen.Required) != Seen.Required)
        {
            return null;
        }

        return new TelemetryMessage(schema, seq, ts, device!, kind!, building!, values!, labels, heartbeat);
    }

    /// <summary>The contract's names as gateways write them, byte for byte (escaped names: none, so the serializer reads those).</summary>
    private static Seen Name(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return Seen.None;
        }

        var name = reader.ValueSpan;
        return name.Length switch
        {
            2 when name.SequenceEqual("ts"u8) => Seen.Ts,
            3 when name.SequenceEqual("seq"u8) => Seen.Seq,
            4 when name.SequenceEqual("kind"u8) => Seen.Kind,
            6 when name.SequenceEqual("schema"u8) => Seen.Schema,
            6 when name.SequenceEqual("device"u8) => Seen.Device,
            6 when name.SequenceEqual("values"u8) => Seen.Values,
            6 when name.SequenceEqual("labels"u8) => Seen.Labels,
            8 when name.SequenceEqual("building"u8) => Seen.Building,
            9 when name.SequenceEqual("heartbeat"u8) => Seen.Heartbeat,
            _ => Seen.None,
        };
    }
}

using System.Globalization;
using System.Text.Json;
using Facilities.Telemetry;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// Checks a received message against docs/mqtt-contract.md: a topic of ours, JSON of the type the topic names within
/// the size limits, the schema version this build reads, the required fields, finite numbers, a sample time inside the
/// accepted window around the time of arrival, a sequence number in range, and a payload that names the same device or
/// gateway as its topic. Pure, and never throws for what a publisher sends; every refusal says what is wrong.
/// </summary>
public static class MessageValidator
{
    /// <summary>The outcome: an envelope, a rejection, or neither for messages the cloud does not consume (its own commands).</summary>
    public static (Envelope? Envelope, Rejection? Rejection) Validate(string topic, ReadOnlySpan<byte> payload, DateTimeOffset receivedAt, IngestionOptions? limits = null)
    {
        limits ??= IngestionOptions.Default;
        var address = Topics.Parse(topic);
        if (address is null)
        {
            return Reject("topic is not a facilities/v1 gateway topic", RejectionCause.Topic);
        }

        if (address.Kind == TopicKind.Command)
        {
            return (null, null);
        }

        if (payload.Length > limits.MaxPayloadBytes)
        {
            // Refused before parsing: the parse of a huge payload is the cost a hostile publisher would be after.
            return Reject($"payload of {payload.Length} bytes exceeds the limit of {limits.MaxPayloadBytes} bytes (Ingestion:MaxPayloadBytes)", RejectionCause.Limit);
        }

        IGatewayMessage? message;
        try
        {
            message = address.Kind switch
            {
                TopicKind.Telemetry => TelemetryReader.TryRead(payload) ?? MessageJson.Deserialize<TelemetryMessage>(payload),
                TopicKind.Events => MessageJson.Deserialize<EventMessage>(payload),
                TopicKind.DeviceState => MessageJson.Deserialize<DeviceStateMessage>(payload),
                TopicKind.GatewayStatus => MessageJson.Deserialize<GatewayStatusMessage>(payload),
                TopicKind.CommandResult => MessageJson.Deserialize<CommandResultMessage>(payload),
                _ => null,
            };
        }
        catch (Exception error) when (error is JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // JsonException for what the JSON says; the others for shapes the serializer cannot bind (a duplicate
            // dictionary key, say). Whatever a publisher writes ends here, never in the consumer.
            return Reject($"bad JSON: {error.Message}", RejectionCause.Json);
        }

        if (message is null)
        {
            return Reject("bad JSON: the payload is null, expected an object", RejectionCause.Json);
        }

        var problem = Check(address, message, payload, receivedAt, limits);
        return problem is null ? (new Envelope(address, message, receivedAt), null) : (null, problem);
    }

    private static Rejection? Check(TopicAddress address, IGatewayMessage message, ReadOnlySpan<byte> payload, DateTimeOffset receivedAt, IngestionOptions limits)
    {
        if (message.Schema != Schema.Version)
        {
            return Contract($"unknown schema version {message.Schema} (this cloud reads {Schema.Version})");
        }

        if (message.Ts == default && !HasTopLevelProperty(payload, "ts"u8))
        {
            return Contract("field 'ts' is missing");
        }

        var isLastWill = message is GatewayStatusMessage { Seq: 0 };
        if (message.Seq <= 0 && !isLastWill)
        {
            return new($"field 'seq' must be a positive sequence number, got {message.Seq}", RejectionCause.Sequence);
        }

        if (message.Seq > IngestionOptions.MaxSeq)
        {
            return new($"field 'seq' {message.Seq} is above the highest sequence number accepted, {IngestionOptions.MaxSeq} (2^53 - 1)", RejectionCause.Sequence);
        }

        if (OutOfWindow(message, address.Kind, receivedAt, limits) is { } late)
        {
            return late;
        }

        return message switch
        {
            TelemetryMessage t => Contract(SameDevice(address, t.Device) ?? Required(("kind", t.Kind)) ?? (t.Values is null ? "field 'values' is missing" : null))
                ?? Points(t, limits),
            EventMessage e => Contract(SameDevice(address, e.Device) ?? Required(("kind", e.Kind), ("point", e.Point)))
                ?? PointName("point", e.Point, limits) ?? Finite("value", e.Point, e.Value) ?? (e.Previous is { } previous ? Finite("previous", e.Point, previous) : null),
            DeviceStateMessage s => Contract(SameDevice(address, s.Device) ?? Required(("kind", s.Kind), ("state", s.State))
                ?? (s.State is DeviceStateMessage.Online or DeviceStateMessage.Offline ? null : $"field 'state' must be 'online' or 'offline', got '{s.State}'")),
            GatewayStatusMessage g => Contract(g.Gateway != address.Gateway
                ? $"payload gateway '{g.Gateway}' differs from the topic's gateway '{address.Gateway}'"
                : Required(("state", g.State))),
            CommandResultMessage r => Contract(SameDevice(address, r.Device, fromTopic: false) ?? Required(("id", r.Id), ("point", r.Point)))
                ?? PointName("point", r.Point, limits),
            _ => Contract("unsupported message"),
        };
    }

    /// <summary>
    /// A sample time the cloud cannot trust: ahead of arrival by more than the clock skew allowed (it would hold the
    /// device's latest values, which only move forward in time), or older than a gateway's backlog can be. Retained
    /// messages may be as old as the broker keeps them.
    /// </summary>
    private static Rejection? OutOfWindow(IGatewayMessage message, TopicKind kind, DateTimeOffset receivedAt, IngestionOptions limits)
    {
        var ahead = message.Ts - receivedAt; // DateTimeOffset's range is far inside TimeSpan's: no overflow
        if (ahead > limits.MaxClockSkew)
        {
            return new($"field 'ts' {Format(message.Ts)} is {ahead} ahead of the time of arrival {Format(receivedAt)}; at most {limits.MaxClockSkew} is accepted (Ingestion:MaxClockSkew)", RejectionCause.Timestamp);
        }

        var (maxAge, key) = kind is TopicKind.GatewayStatus or TopicKind.DeviceState ? (limits.MaxRetainedAge, "MaxRetainedAge") : (limits.MaxAge, "MaxAge");
        return -ahead > maxAge
            ? new($"field 'ts' {Format(message.Ts)} is {-ahead} before the time of arrival {Format(receivedAt)}; at most {maxAge} is accepted (Ingestion:{key})", RejectionCause.Timestamp)
            : null;
    }

    private static Rejection? Points(TelemetryMessage message, IngestionOptions limits)
    {
        if (message.Values.Count > limits.MaxPoints)
        {
            return new($"field 'values' has {message.Values.Count} points, more than the limit of {limits.MaxPoints} (Ingestion:MaxPoints)", RejectionCause.Limit);
        }

        if (message.Labels is { } labels && labels.Count > limits.MaxPoints)
        {
            return new($"field 'labels' has {labels.Count} points, more than the limit of {limits.MaxPoints} (Ingestion:MaxPoints)", RejectionCause.Limit);
        }

        // The deserializer makes dictionaries; enumerating one as such allocates nothing on the hot path.
        if (message.Values is Dictionary<string, double> values)
        {
            foreach (var (point, value) in values)
            {
                if ((PointName("values", point, limits) ?? Finite("values", point, value)) is { } problem)
                {
                    return problem;
                }
            }
        }
        else
        {
            foreach (var (point, value) in message.Values)
            {
                if ((PointName("values", point, limits) ?? Finite("values", point, value)) is { } problem)
                {
                    return problem;
                }
            }
        }

        if (message.Labels is { Count: > 0 })
        {
            foreach (var point in message.Labels.Keys)
            {
                if (PointName("labels", point, limits) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    private static Rejection? PointName(string field, string point, IngestionOptions limits) => point.Length switch
    {
        0 => new($"field '{field}' has a point with an empty name", RejectionCause.Contract),
        var length when length > limits.MaxPointNameLength =>
            new($"field '{field}' has a point name of {length} characters ('{point[..Math.Min(32, point.Length)]}…'), longer than the limit of {limits.MaxPointNameLength} (Ingestion:MaxPointNameLength)", RejectionCause.Limit),
        _ => null,
    };

    private static Rejection? Finite(string field, string point, double value) => double.IsFinite(value)
        ? null
        : new($"field '{field}': point '{point}' is {value.ToString(CultureInfo.InvariantCulture)}, not a finite number", RejectionCause.NonFinite);

    /// <summary>Whether the payload names <paramref name="name"/> at its top level (case-insensitive, as the contract's JSON binds).</summary>
    private static bool HasTopLevelProperty(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> name)
    {
        var reader = new Utf8JsonReader(payload);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && !reader.ValueIsEscaped
                    && System.Text.Ascii.EqualsIgnoreCase(reader.ValueSpan, name))
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // The payload parsed once already; a second reading cannot fail, but it must not throw if it did.
        }

        return false;
    }

    private static string Format(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

    private static Rejection? Contract(string? problem) => problem is null ? null : new(problem, RejectionCause.Contract);

    private static string? SameDevice(TopicAddress address, string? device, bool fromTopic = true) => device switch
    {
        null or "" => "field 'device' is missing",
        _ when !Topics.IsValidId(device) => $"field 'device' '{device}' is not a valid identifier",
        _ when fromTopic && device != address.Device => $"payload device '{device}' differs from the topic's device '{address.Device}'",
        _ => null,
    };

    private static string? Required(params (string Name, string? Value)[] fields) =>
        fields.Where(f => string.IsNullOrEmpty(f.Value)).Select(f => $"field '{f.Name}' is missing").FirstOrDefault();

    private static (Envelope?, Rejection?) Reject(string reason, RejectionCause cause) => (null, new Rejection(reason, cause));
}

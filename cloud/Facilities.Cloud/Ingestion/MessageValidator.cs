using System.Text.Json;
using Facilities.Telemetry;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// Checks a received message against docs/mqtt-contract.md: a topic of ours, JSON of the type the topic names, the
/// schema version this build reads, the required fields, and a payload that names the same device or gateway as its
/// topic. Pure; every refusal says what is wrong.
/// </summary>
public static class MessageValidator
{
    /// <summary>The outcome: an envelope, a rejection, or neither for messages the cloud does not consume (its own commands).</summary>
    public static (Envelope? Envelope, Rejection? Rejection) Validate(string topic, ReadOnlySpan<byte> payload, DateTimeOffset receivedAt)
    {
        var address = Topics.Parse(topic);
        if (address is null)
        {
            return Reject("topic is not a facilities/v1 gateway topic");
        }

        if (address.Kind == TopicKind.Command)
        {
            return (null, null);
        }

        IGatewayMessage? message;
        try
        {
            message = address.Kind switch
            {
                TopicKind.Telemetry => MessageJson.Deserialize<TelemetryMessage>(payload),
                TopicKind.Events => MessageJson.Deserialize<EventMessage>(payload),
                TopicKind.DeviceState => MessageJson.Deserialize<DeviceStateMessage>(payload),
                TopicKind.GatewayStatus => MessageJson.Deserialize<GatewayStatusMessage>(payload),
                TopicKind.CommandResult => MessageJson.Deserialize<CommandResultMessage>(payload),
                _ => null,
            };
        }
        catch (JsonException error)
        {
            return Reject($"bad JSON: {error.Message}");
        }

        if (message is null)
        {
            return Reject("bad JSON: the payload is null, expected an object");
        }

        var problem = Check(address, message);
        return problem is null ? (new Envelope(address, message, receivedAt), null) : Reject(problem);
    }

    private static string? Check(TopicAddress address, IGatewayMessage message)
    {
        if (message.Schema != Schema.Version)
        {
            return $"unknown schema version {message.Schema} (this cloud reads {Schema.Version})";
        }

        if (message.Ts == default)
        {
            return "field 'ts' is missing";
        }

        var isLastWill = message is GatewayStatusMessage { Seq: 0 };
        if (message.Seq <= 0 && !isLastWill)
        {
            return $"field 'seq' must be a positive sequence number, got {message.Seq}";
        }

        return message switch
        {
            TelemetryMessage t => SameDevice(address, t.Device) ?? Required(("kind", t.Kind)) ?? (t.Values is null ? "field 'values' is missing" : null),
            EventMessage e => SameDevice(address, e.Device) ?? Required(("kind", e.Kind), ("point", e.Point)),
            DeviceStateMessage s => SameDevice(address, s.Device) ?? Required(("kind", s.Kind), ("state", s.State))
                ?? (s.State is DeviceStateMessage.Online or DeviceStateMessage.Offline ? null : $"field 'state' must be 'online' or 'offline', got '{s.State}'"),
            GatewayStatusMessage g => g.Gateway != address.Gateway
                ? $"payload gateway '{g.Gateway}' differs from the topic's gateway '{address.Gateway}'"
                : Required(("state", g.State)),
            CommandResultMessage r => SameDevice(address, r.Device, fromTopic: false) ?? Required(("id", r.Id), ("point", r.Point)),
            _ => "unsupported message",
        };
    }

    private static string? SameDevice(TopicAddress address, string? device, bool fromTopic = true) => device switch
    {
        null or "" => "field 'device' is missing",
        _ when !Topics.IsValidId(device) => $"field 'device' '{device}' is not a valid identifier",
        _ when fromTopic && device != address.Device => $"payload device '{device}' differs from the topic's device '{address.Device}'",
        _ => null,
    };

    private static string? Required(params (string Name, string? Value)[] fields) =>
        fields.Where(f => string.IsNullOrEmpty(f.Value)).Select(f => $"field '{f.Name}' is missing").FirstOrDefault();

    private static (Envelope?, Rejection?) Reject(string reason) => (null, new Rejection(reason));
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Facilities.Telemetry;

/// <summary>
/// Every payload carries the schema version, the gateway's sequence number (monotonic per gateway, across restarts)
/// and the time the values were sampled at the device. The cloud uses the sequence number to drop duplicate QoS 1
/// deliveries and to notice gaps.
/// </summary>
public interface IGatewayMessage
{
    int Schema { get; }

    long Seq { get; }

    DateTimeOffset Ts { get; }
}

public static class Schema
{
    /// <summary>The payload schema this build writes and reads. Bumped on any incompatible change.</summary>
    public const int Version = 1;
}

/// <summary>Readings of one device from one poll. Only values that changed beyond their deadband, or all on a heartbeat.</summary>
public sealed record TelemetryMessage(
    int Schema, long Seq, DateTimeOffset Ts, string Device, string Kind, string Building,
    IReadOnlyDictionary<string, double> Values,
    IReadOnlyDictionary<string, string>? Labels = null,
    bool Heartbeat = false) : IGatewayMessage;

/// <summary>One point of a device changed: a status bit, an enumeration, a fault code.</summary>
public sealed record EventMessage(
    int Schema, long Seq, DateTimeOffset Ts, string Device, string Kind, string Building,
    string Point, double Value, string? Label, double? Previous, string? PreviousLabel) : IGatewayMessage;

/// <summary>A device's link state as the gateway sees it. <see cref="Reason"/> says why it went offline.</summary>
public sealed record DeviceStateMessage(
    int Schema, long Seq, DateTimeOffset Ts, string Device, string Kind, string Building,
    string State, string? Reason) : IGatewayMessage
{
    public const string Online = "online";
    public const string Offline = "offline";
}

/// <summary>The gateway's own status; retained. Its last will is the same message with state "offline".</summary>
public sealed record GatewayStatusMessage(
    int Schema, long Seq, DateTimeOffset Ts, string Gateway, string State, string Version,
    int Devices, int DevicesOnline, long OutboxDepth, long OutboxDropped) : IGatewayMessage;

/// <summary>Cloud to gateway: write <see cref="Value"/> to a writable point of a device.</summary>
public sealed record CommandMessage(int Schema, string Id, string Device, string Point, double Value, DateTimeOffset Ts);

/// <summary>Gateway to cloud: the command's outcome. <see cref="Error"/> says why it failed (refused, Modbus exception, timeout).</summary>
public sealed record CommandResultMessage(
    int Schema, long Seq, DateTimeOffset Ts, string Id, string Device, string Point, bool Success, string? Error) : IGatewayMessage;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TelemetryMessage))]
[JsonSerializable(typeof(EventMessage))]
[JsonSerializable(typeof(DeviceStateMessage))]
[JsonSerializable(typeof(GatewayStatusMessage))]
[JsonSerializable(typeof(CommandMessage))]
[JsonSerializable(typeof(CommandResultMessage))]
public sealed partial class TelemetryJsonContext : JsonSerializerContext;

/// <summary>Serialises the contract's messages with the source-generated context (no reflection; AOT-safe).</summary>
public static class MessageJson
{
    public static byte[] Serialize<T>(T message) where T : class =>
        JsonSerializer.SerializeToUtf8Bytes(message, typeof(T), TelemetryJsonContext.Default);

    public static T? Deserialize<T>(ReadOnlySpan<byte> payload) where T : class =>
        (T?)JsonSerializer.Deserialize(payload, typeof(T), TelemetryJsonContext.Default);
}

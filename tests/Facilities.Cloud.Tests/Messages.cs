using Facilities.Cloud.Ingestion;
using Facilities.Telemetry;

namespace Facilities.Cloud.Tests;

/// <summary>Contract messages as a gateway publishes them (topic and JSON payload).</summary>
public static class Messages
{
    public const string Site = "estate";
    public const string Gateway = "gw-1";

    public static RawMessage Telemetry(long seq, DateTimeOffset ts, string device, string kind, IReadOnlyDictionary<string, double> values, IReadOnlyDictionary<string, string>? labels = null, string gateway = Gateway) =>
        new(Topics.Telemetry(Site, gateway, device), MessageJson.Serialize(new TelemetryMessage(Schema.Version, seq, ts, device, kind, "b01", values, labels)));

    public static RawMessage Event(long seq, DateTimeOffset ts, string device, string kind, string point, double value, string? label, string gateway = Gateway) =>
        new(Topics.Events(Site, gateway, device), MessageJson.Serialize(new EventMessage(Schema.Version, seq, ts, device, kind, "b01", point, value, label, null, null)));

    public static RawMessage State(long seq, DateTimeOffset ts, string device, string kind, string state, string gateway = Gateway) =>
        new(Topics.DeviceState(Site, gateway, device), MessageJson.Serialize(new DeviceStateMessage(Schema.Version, seq, ts, device, kind, "b01", state, state == "offline" ? "no response" : null)));

    public static RawMessage Status(long seq, DateTimeOffset ts, string state, string gateway = Gateway) =>
        new(Topics.GatewayStatus(Site, gateway), MessageJson.Serialize(new GatewayStatusMessage(Schema.Version, seq, ts, gateway, state, "test", 2, 2, 0, 0)));
}

using Facilities.Cloud.Ingestion;
using Facilities.Telemetry;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>Validated messages as ingestion hands them to the telemetry store.</summary>
internal static class Envelopes
{
    public const string Site = "estate";
    public const string Gateway = "gw-1";
    public static readonly DateTimeOffset T0 = new(2026, 11, 22, 8, 15, 2, 114, TimeSpan.Zero);

    public static Envelope Telemetry(
        long seq, DateTimeOffset ts, string device, string kind, IReadOnlyDictionary<string, double> values,
        IReadOnlyDictionary<string, string>? labels = null, string building = "b03") =>
        new(new TopicAddress(TopicKind.Telemetry, Site, Gateway, device),
            new TelemetryMessage(Schema.Version, seq, ts, device, kind, building, values, labels), ts.AddSeconds(1));

    public static Envelope Event(long seq, DateTimeOffset ts, string device, string point, double value, string? label, double? previous, string? previousLabel) =>
        new(new TopicAddress(TopicKind.Events, Site, Gateway, device),
            new EventMessage(Schema.Version, seq, ts, device, "elevator", "b03", point, value, label, previous, previousLabel), ts.AddSeconds(1));

    public static Envelope State(long seq, DateTimeOffset ts, string device, string state, string? reason) =>
        new(new TopicAddress(TopicKind.DeviceState, Site, Gateway, device),
            new DeviceStateMessage(Schema.Version, seq, ts, device, "boiler", "plant", state, reason), ts.AddSeconds(1));

    public static Envelope Status(long seq, DateTimeOffset ts, string state, DateTimeOffset receivedAt) =>
        new(new TopicAddress(TopicKind.GatewayStatus, Site, Gateway),
            new GatewayStatusMessage(Schema.Version, seq, ts, Gateway, state, "1.2.3", 28, 27, 5, 1), receivedAt);

    /// <summary>Elevator readings of device <c>lift-{n}</c> at <see cref="T0"/> plus <paramref name="n"/> seconds.</summary>
    public static Envelope Lift(int n, double floor = 3) =>
        Telemetry(n, T0.AddSeconds(n), $"lift-{n}", "elevator", new Dictionary<string, double> { ["floor"] = floor });
}

using System.Buffers;
using System.Text;
using Facilities.Cloud.Ingestion;
using Facilities.Telemetry;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>
/// What a gateway message becomes in the telemetry store (docs/telemetry-schema.md). Pure. Every point is timed at
/// the message's sample time, so a backlog lands where it belongs and a re-delivered message rewrites the same point
/// (same measurement, tags and time) instead of adding one.
/// </summary>
public static class TelemetrySchema
{
    public const string Events = "events";
    public const string DeviceState = "device_state";
    public const string GatewayStatus = "gateway_status";

    /// <summary>Suffix of the string field that carries a value's label (<c>door_state_label="closed"</c>).</summary>
    public const string LabelSuffix = "_label";

    /// <summary>The points of a message; none for messages that are not history (command results).</summary>
    public static IReadOnlyList<LinePoint> Points(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.Message switch
        {
            TelemetryMessage t => [Telemetry(envelope, t)],
            EventMessage e => [Event(envelope, e)],
            DeviceStateMessage s => [State(envelope, s)],
            GatewayStatusMessage g => [Status(envelope, g)],
            _ => [],
        };
    }

    /// <summary>
    /// Writes the message's points as line protocol in UTF-8 (<see cref="LineProtocol.Write"/>), each line ending in
    /// <c>\n</c>, as the history outbox stores them and InfluxDB reads them; how many lines it wrote.
    /// </summary>
    public static int WriteLines(IBufferWriter<byte> output, Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(output);
        var lines = 0;
        foreach (var point in Points(envelope))
        {
            if (LineProtocol.Write(output, point))
            {
                output.Write("\n"u8);
                lines++;
            }
        }

        return lines;
    }

    /// <summary>
    /// The measurement of a device kind's readings: the kind in lower case with every character other than a–z, 0–9
    /// and '_' made '_' (<c>charger-shed</c> → <c>charger_shed</c>), so InfluxQL and Flux can name it unquoted.
    /// </summary>
    public static string MeasurementOf(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (Measurements.TryGetValue(kind, out var known))
        {
            return known;
        }

        var measurement = Measurement(kind);
        if (Measurements.Count < MaxKnownKinds)
        {
            Measurements.TryAdd(kind, measurement);
        }

        return measurement;
    }

    /// <summary>The measurements of the kinds seen, so a message does not build its kind's name again (bounded: kinds come from the wire).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Measurements = new(StringComparer.Ordinal);

    private const int MaxKnownKinds = 1024;

    private static string Measurement(string kind)
    {
        var name = new StringBuilder(kind.Length);
        foreach (var c in kind.ToLowerInvariant())
        {
            name.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' ? c : '_');
        }

        return name.Length == 0 ? "device" : name.ToString();
    }

    private static LinePoint Telemetry(Envelope envelope, TelemetryMessage message)
    {
        var fields = new List<Field>(message.Values.Count + (message.Labels?.Count ?? 0));
        fields.AddRange(message.Values.Select(v => Field.OfNumber(v.Key, v.Value)));
        if (message.Labels is not null)
        {
            fields.AddRange(message.Labels.Select(l => Field.OfText(l.Key + LabelSuffix, l.Value)));
        }

        return new LinePoint(MeasurementOf(message.Kind), DeviceTags(envelope, message.Building), fields, message.Ts);
    }

    private static LinePoint Event(Envelope envelope, EventMessage message)
    {
        var fields = new List<Field>(4) { Field.OfNumber("value", message.Value) };
        if (message.Label is not null)
        {
            fields.Add(Field.OfText("label", message.Label));
        }

        if (message.Previous is { } previous)
        {
            fields.Add(Field.OfNumber("previous", previous));
        }

        if (message.PreviousLabel is not null)
        {
            fields.Add(Field.OfText("previous" + LabelSuffix, message.PreviousLabel));
        }

        Tag[] tags = [.. DeviceTags(envelope, message.Building), new("kind", message.Kind), new("point", message.Point)];
        return new LinePoint(Events, tags, fields, message.Ts);
    }

    private static LinePoint State(Envelope envelope, DeviceStateMessage message)
    {
        var fields = new List<Field>(3)
        {
            Field.OfNumber("online", message.State == DeviceStateMessage.Online ? 1 : 0),
            Field.OfText("state", message.State),
        };
        if (message.Reason is not null)
        {
            fields.Add(Field.OfText("reason", message.Reason));
        }

        Tag[] tags = [.. DeviceTags(envelope, message.Building), new("kind", message.Kind)];
        return new LinePoint(DeviceState, tags, fields, message.Ts);
    }

    /// <summary>
    /// A last will (seq 0) was composed when the gateway connected, so its <c>ts</c> is the start of the connection,
    /// not the moment it ended: it is timed when the broker delivered it instead.
    /// </summary>
    private static LinePoint Status(Envelope envelope, GatewayStatusMessage message)
    {
        var lastWill = message.Seq == 0;
        Field[] fields =
        [
            Field.OfNumber("online", message.State == "online" ? 1 : 0),
            Field.OfText("state", message.State),
            Field.OfText("version", message.Version ?? string.Empty),
            Field.OfNumber("devices", message.Devices),
            Field.OfNumber("devices_online", message.DevicesOnline),
            Field.OfNumber("outbox_depth", message.OutboxDepth),
            Field.OfNumber("outbox_dropped", message.OutboxDropped),
            Field.OfNumber("last_will", lastWill ? 1 : 0),
        ];
        Tag[] tags = [new("site", envelope.Site), new("gateway", envelope.Gateway)];
        return new LinePoint(GatewayStatus, tags, fields, lastWill ? envelope.ReceivedAt : message.Ts);
    }

    private static Tag[] DeviceTags(Envelope envelope, string? building) =>
        [new("site", envelope.Site), new("gateway", envelope.Gateway), new("building", building), new("device", envelope.Device)];
}

using System.Globalization;
using System.Text;
using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>What the validator refuses from a broken or hostile publisher, and that the reason names the field and the bound.</summary>
public sealed class HostileMessageValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private const string TelemetryTopic = "facilities/v1/estate/gw-1/devices/lift-1/telemetry";
    private const string EventTopic = "facilities/v1/estate/gw-1/devices/lift-1/events";

    private static string Telemetry(string values, string ts = "2026-11-22T08:00:00Z", string seq = "3") =>
        $$"""{"schema":1,"seq":{{seq}},"ts":"{{ts}}","device":"lift-1","kind":"elevator","building":"b01","values":""" + "{" + values + "}}";

    private static Rejection Refused(string topic, string payload, IngestionOptions? limits = null)
    {
        var (envelope, rejection) = MessageValidator.Validate(topic, Encoding.UTF8.GetBytes(payload), Now, limits);
        Assert.Null(envelope);
        return Assert.IsType<Rejection>(rejection);
    }

    [Theory]
    [InlineData("\"floor\":\"NaN\"")]
    [InlineData("\"floor\":\"Infinity\"")]
    [InlineData("\"floor\":\"-Infinity\"")]
    [InlineData("\"floor\":1e309")]
    [InlineData("\"floor\":-1e309")]
    [InlineData("\"speed\":1.5,\"floor\":\"1e309\"")]
    public void Validate_NonFiniteReading_IsRefusedNamingThePoint(string values)
    {
        var rejection = Refused(TelemetryTopic, Telemetry(values));
        Assert.Contains("floor", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains(rejection.Cause, new[] { RejectionCause.NonFinite, RejectionCause.Json });
    }

    [Theory]
    [InlineData("\"NaN\"")]
    [InlineData("\"Infinity\"")]
    [InlineData("1e309")]
    public void Validate_NonFiniteEventValue_IsRefused(string value)
    {
        var payload = $$"""{"schema":1,"seq":3,"ts":"2026-11-22T08:00:00Z","device":"lift-1","kind":"elevator","building":"b01","point":"fault_code","value":{{value}}}""";
        var rejection = Refused(EventTopic, payload);
        Assert.Contains(rejection.Cause, new[] { RejectionCause.NonFinite, RejectionCause.Json });
    }

    [Fact]
    public void Validate_TimestampFarInTheFuture_IsRefusedNamingTheFieldAndTheBound()
    {
        var rejection = Refused(TelemetryTopic, Telemetry("\"floor\":3", ts: "2099-01-01T00:00:00Z"));
        Assert.Equal(RejectionCause.Timestamp, rejection.Cause);
        Assert.Contains("field 'ts' 2099-01-01", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("Ingestion:MaxClockSkew", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TimestampWithinTheClockSkew_IsAccepted()
    {
        var (envelope, rejection) = MessageValidator.Validate(TelemetryTopic, Encoding.UTF8.GetBytes(Telemetry("\"floor\":3", ts: "2026-11-22T08:04:00Z")), Now);
        Assert.Null(rejection);
        Assert.NotNull(envelope);
    }

    [Fact]
    public void Validate_TimestampOlderThanTheMaxAge_IsRefusedNamingTheBound()
    {
        var rejection = Refused(TelemetryTopic, Telemetry("\"floor\":3", ts: "2026-11-14T08:00:00Z"));
        Assert.Equal(RejectionCause.Timestamp, rejection.Cause);
        Assert.Contains("Ingestion:MaxAge", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_YearOneTimestamp_IsRefusedAsOutOfWindow_NotAsMissing()
    {
        var rejection = Refused(TelemetryTopic, Telemetry("\"floor\":3", ts: "0001-01-01T00:00:00Z"));
        Assert.Equal(RejectionCause.Timestamp, rejection.Cause);
        Assert.DoesNotContain("missing", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("field 'ts' 0001-01-01", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OldRetainedDeviceState_IsAccepted()
    {
        // The broker hands a retained "online" to every new subscription, however long ago the device came online.
        var payload = """{"schema":1,"seq":3,"ts":"2026-03-01T08:00:00Z","device":"lift-1","kind":"elevator","building":"b01","state":"online"}""";
        var (envelope, rejection) = MessageValidator.Validate("facilities/v1/estate/gw-1/devices/lift-1/state", Encoding.UTF8.GetBytes(payload), Now);
        Assert.Null(rejection);
        Assert.NotNull(envelope);
    }

    [Theory]
    [InlineData("9223372036854775807")]
    [InlineData("9007199254740992")]
    public void Validate_SequenceNumberBeyondTheBound_IsRefused(string seq)
    {
        var rejection = Refused(TelemetryTopic, Telemetry("\"floor\":3", seq: seq));
        Assert.Equal(RejectionCause.Sequence, rejection.Cause);
        Assert.Contains("field 'seq'", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TooManyPoints_IsRefusedNamingTheLimit()
    {
        var values = string.Join(",", Enumerable.Range(0, 11).Select(i => $"\"p{i}\":{i}"));
        var rejection = Refused(TelemetryTopic, Telemetry(values), new IngestionOptions { MaxPoints = 10 });
        Assert.Equal(RejectionCause.Limit, rejection.Cause);
        Assert.Contains("11 points", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("Ingestion:MaxPoints", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PointNameTooLong_IsRefusedNamingTheLimit()
    {
        var rejection = Refused(TelemetryTopic, Telemetry($"\"{new string('x', 129)}\":1"));
        Assert.Equal(RejectionCause.Limit, rejection.Cause);
        Assert.Contains("129 characters", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("Ingestion:MaxPointNameLength", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PayloadTooLarge_IsRefusedBeforeParsing()
    {
        var payload = Telemetry($"\"floor\":3,\"padding\":\"{new string('x', 128 * 1024)}\"");
        var rejection = Refused(TelemetryTopic, payload);
        Assert.Equal(RejectionCause.Limit, rejection.Cause);
        Assert.Contains(Encoding.UTF8.GetByteCount(payload).ToString(CultureInfo.InvariantCulture) + " bytes", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("Ingestion:MaxPayloadBytes", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LargestShippedProfile_IsWithinTheDefaultLimits()
    {
        // A 16-port charger shed's heartbeat: every point, the longest names the shipped profiles use, labels for all.
        var points = Enumerable.Range(0, 170).Select(i => $"port_{i % 16}_status_{i}_abcdefghijklmnop"[..30]).Distinct().ToList();
        var values = string.Join(",", points.Select((p, i) => $"\"{p}\":{i * 1.25}"));
        var labels = string.Join(",", points.Select(p => $"\"{p}\":\"waiting-for-removal\""));
        var payload = """{"schema":1,"seq":3,"ts":"2026-11-22T08:00:00Z","device":"lift-1","kind":"charger-shed","building":"b01","values":{""" + values + """},"labels":{""" + labels + "}}";
        var (envelope, rejection) = MessageValidator.Validate(TelemetryTopic, Encoding.UTF8.GetBytes(payload), Now);
        Assert.Null(rejection);
        Assert.NotNull(envelope);
    }
}

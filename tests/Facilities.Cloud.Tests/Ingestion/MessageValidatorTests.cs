using System.Text;
using Facilities.Cloud.Ingestion;
using Facilities.Telemetry;

namespace Facilities.Cloud.Tests.Ingestion;

public sealed class MessageValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private const string TelemetryTopic = "facilities/v1/estate/gw-1/devices/lift-1/telemetry";

    [Fact]
    public void Validate_ContractTelemetry_GivesEnvelopeWithAddress()
    {
        var message = Messages.Telemetry(7, Now, "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = 3 });
        var (envelope, rejection) = MessageValidator.Validate(message.Topic, message.Payload.Span, Now);
        Assert.Null(rejection);
        Assert.Equal(("estate", "gw-1", "lift-1"), (envelope!.Site, envelope.Gateway, envelope.Device));
        Assert.Equal(7, envelope.Message.Seq);
    }

    [Theory]
    [InlineData("other/topic", "{}", "topic is not a facilities/v1 gateway topic")]
    [InlineData("facilities/v1/Estate/gw-1/status", "{}", "topic is not a facilities/v1 gateway topic")]
    [InlineData(TelemetryTopic, "{\"schema\":1,", "bad JSON")]
    [InlineData(TelemetryTopic, "null", "the payload is null")]
    [InlineData(TelemetryTopic, "[1,2]", "bad JSON")]
    [InlineData(TelemetryTopic, "{\"schema\":2,\"seq\":1,\"ts\":\"2026-11-22T08:00:00Z\",\"device\":\"lift-1\",\"kind\":\"elevator\",\"building\":\"b\",\"values\":{}}", "unknown schema version 2")]
    [InlineData(TelemetryTopic, "{\"schema\":1,\"seq\":0,\"ts\":\"2026-11-22T08:00:00Z\",\"device\":\"lift-1\",\"kind\":\"elevator\",\"building\":\"b\",\"values\":{}}", "field 'seq' must be a positive")]
    [InlineData(TelemetryTopic, "{\"schema\":1,\"seq\":3,\"device\":\"lift-1\",\"kind\":\"elevator\",\"building\":\"b\",\"values\":{}}", "field 'ts' is missing")]
    [InlineData(TelemetryTopic, "{\"schema\":1,\"seq\":3,\"ts\":\"2026-11-22T08:00:00Z\",\"device\":\"lift-2\",\"kind\":\"elevator\",\"building\":\"b\",\"values\":{}}", "payload device 'lift-2' differs from the topic's device 'lift-1'")]
    [InlineData(TelemetryTopic, "{\"schema\":1,\"seq\":3,\"ts\":\"2026-11-22T08:00:00Z\",\"device\":\"lift-1\",\"building\":\"b\",\"values\":{}}", "field 'kind' is missing")]
    [InlineData(TelemetryTopic, "{\"schema\":1,\"seq\":3,\"ts\":\"2026-11-22T08:00:00Z\",\"device\":\"lift-1\",\"kind\":\"elevator\",\"building\":\"b\"}", "field 'values' is missing")]
    [InlineData(TelemetryTopic, "{\"schema\":1,\"seq\":3,\"ts\":\"2026-11-22T08:00:00Z\",\"device\":\"lift-1\",\"kind\":\"elevator\",\"building\":\"b\",\"values\":{\"floor\":\"x\"}}", "bad JSON")]
    [InlineData("facilities/v1/estate/gw-1/devices/lift-1/state", "{\"schema\":1,\"seq\":3,\"ts\":\"2026-11-22T08:00:00Z\",\"device\":\"lift-1\",\"kind\":\"elevator\",\"building\":\"b\",\"state\":\"sleepy\"}", "field 'state' must be 'online' or 'offline'")]
    [InlineData("facilities/v1/estate/gw-1/status", "{\"schema\":1,\"seq\":3,\"ts\":\"2026-11-22T08:00:00Z\",\"gateway\":\"gw-2\",\"state\":\"online\"}", "payload gateway 'gw-2' differs from the topic's gateway 'gw-1'")]
    public void Validate_BadMessage_IsRejectedWithReason(string topic, string payload, string reason)
    {
        var (envelope, rejection) = MessageValidator.Validate(topic, Encoding.UTF8.GetBytes(payload), Now);
        Assert.Null(envelope);
        Assert.Contains(reason, rejection!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LastWillWithSeqZero_IsAccepted()
    {
        var payload = MessageJson.Serialize(new GatewayStatusMessage(1, 0, Now, "gw-1", "offline", "", 0, 0, 0, 0));
        var (envelope, rejection) = MessageValidator.Validate(Topics.GatewayStatus("estate", "gw-1"), payload, Now);
        Assert.Null(rejection);
        Assert.IsType<GatewayStatusMessage>(envelope!.Message);
    }

    [Fact]
    public void Validate_CommandTopic_IsIgnoredNotRejected()
    {
        var (envelope, rejection) = MessageValidator.Validate(Topics.Commands("estate", "gw-1"), "{}"u8, Now);
        Assert.Null(envelope);
        Assert.Null(rejection);
    }

    [Fact]
    public void Validate_RandomBytes_NeverThrow()
    {
        var random = new Random(5);
        for (var i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            var (envelope, rejection) = MessageValidator.Validate(TelemetryTopic, bytes, Now);
            Assert.True(envelope is null ^ rejection is null);
        }
    }
}

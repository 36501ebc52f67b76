using Facilities.Cloud.Ingestion;
using Facilities.Cloud.TelemetryStore;
using Facilities.Telemetry;

namespace Facilities.Cloud.Tests.TelemetryStore;

public sealed class TelemetrySchemaTests
{
    private static readonly DateTimeOffset T0 = Envelopes.T0;

    private static string Line(Envelope envelope) => LineProtocol.Format(Assert.Single(TelemetrySchema.Points(envelope)))!;

    [Fact]
    public void Points_Telemetry_GivesKindMeasurementDeviceTagsFloatValuesAndLabelStrings()
    {
        var envelope = Envelopes.Telemetry(1, T0, "b03-elevator-2", "elevator",
            new Dictionary<string, double> { ["floor"] = 7, ["door_state"] = 0 }, new Dictionary<string, string> { ["door_state"] = "closed" });
        Assert.Equal(
            "elevator,building=b03,device=b03-elevator-2,gateway=gw-1,site=estate floor=7,door_state=0,door_state_label=\"closed\" 1795335302114",
            Line(envelope));
    }

    [Theory]
    [InlineData("elevator", "elevator")]
    [InlineData("boiler", "boiler")]
    [InlineData("charger-shed", "charger_shed")]
    [InlineData("aed-cabinet", "aed_cabinet")]
    [InlineData("Heat Pump/2", "heat_pump_2")]
    [InlineData("", "device")]
    public void MeasurementOf_Kind_IsLowerCaseWordCharacters(string kind, string measurement)
    {
        Assert.Equal(measurement, TelemetrySchema.MeasurementOf(kind));
    }

    [Fact]
    public void Points_Event_GivesEventsWithPointTagAndValueLabelPrevious()
    {
        var envelope = Envelopes.Event(2, T0, "lift-1", "fault_code", 1, "trapped-at-floor", 0, "none");
        Assert.Equal(
            "events,building=b03,device=lift-1,gateway=gw-1,kind=elevator,point=fault_code,site=estate value=1,label=\"trapped-at-floor\",previous=0,previous_label=\"none\" 1795335302114",
            Line(envelope));
    }

    [Fact]
    public void Points_EventWithoutLabelsOrPrevious_HasOnlyValue()
    {
        Assert.EndsWith(" value=1 1795335302114", Line(Envelopes.Event(2, T0, "lift-1", "door_open", 1, null, null, null)));
    }

    [Fact]
    public void Points_DeviceState_GivesDeviceStateWithOnlineFlagStateAndReason()
    {
        var envelope = Envelopes.State(3, T0, "boiler-1", DeviceStateMessage.Offline, "no response");
        Assert.Equal(
            "device_state,building=plant,device=boiler-1,gateway=gw-1,kind=boiler,site=estate online=0,state=\"offline\",reason=\"no response\" 1795335302114",
            Line(envelope));
    }

    [Fact]
    public void Points_GatewayStatus_GivesGatewayStatusAtItsSampleTime()
    {
        var envelope = Envelopes.Status(4, T0, "online", T0.AddMinutes(5));
        Assert.Equal(
            "gateway_status,gateway=gw-1,site=estate online=1,state=\"online\",version=\"1.2.3\",devices=28,devices_online=27,outbox_depth=5,outbox_dropped=1,last_will=0 1795335302114",
            Line(envelope));
    }

    [Fact]
    public void Points_LastWill_IsTimedWhenItArrived()
    {
        var arrived = T0.AddHours(3);
        var point = Assert.Single(TelemetrySchema.Points(Envelopes.Status(0, T0, "offline", arrived)));
        Assert.Equal(arrived, point.Time);
        Assert.Contains(Field.OfNumber("last_will", 1), point.Fields);
    }

    [Fact]
    public void Points_CommandResult_GivesNothing()
    {
        var envelope = new Envelope(new TopicAddress(TopicKind.CommandResult, "estate", "gw-1"),
            new CommandResultMessage(Schema.Version, 5, T0, "c-1", "shed-2", "port_3_enabled", true, null), T0);
        Assert.Empty(TelemetrySchema.Points(envelope));
    }

    [Fact]
    public void Points_SameMessageTwice_GiveTheSameLine()
    {
        Assert.Equal(Line(Envelopes.Lift(1)), Line(Envelopes.Lift(1)));
    }
}

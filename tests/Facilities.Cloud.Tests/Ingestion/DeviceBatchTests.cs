using Facilities.Cloud.Devices;
using Facilities.Cloud.Tests.TelemetryStore;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>How a batch folds its messages into a device's state and values (pure; the database round trip is in AlertLifecycleTests).</summary>
public sealed class DeviceBatchTests
{
    private static readonly DateTimeOffset T0 = Envelopes.T0;

    [Fact]
    public void SetValue_ReadingsOutOfOrder_KeepsTheNewestWithTheOneItReplaced()
    {
        var batch = new DeviceBatch();
        var lift = batch.Touch(Envelopes.Event(1, T0, "lift-1", "floor", 1, null, null, null), "elevator", "b03", null);
        DeviceBatch.SetValue(lift, "floor", 2, null, T0.AddSeconds(2));
        DeviceBatch.SetValue(lift, "floor", 9, null, T0.AddSeconds(1)); // late: older than what is known
        DeviceBatch.SetValue(lift, "floor", 3, "third", T0.AddSeconds(3));

        var floor = batch.Facts("estate", "lift-1")!.Points["floor"];
        Assert.Equal((3.0, "third", T0.AddSeconds(3), 2.0, T0.AddSeconds(2)), (floor.Value, floor.Label, floor.Ts, floor.Previous, floor.PreviousTs));
    }

    [Fact]
    public void SetValue_SameSampleTimeAgain_ReplacesTheValueButNotItsPredecessor()
    {
        var batch = new DeviceBatch();
        var lift = batch.Touch(Envelopes.Event(1, T0, "lift-1", "floor", 1, null, null, null), "elevator", "b03", null);
        DeviceBatch.SetValue(lift, "floor", 1, null, T0);
        DeviceBatch.SetValue(lift, "floor", 2, null, T0.AddSeconds(1));
        DeviceBatch.SetValue(lift, "floor", 5, null, T0.AddSeconds(1));

        var floor = lift.Points["floor"];
        Assert.Equal((5.0, 1.0, T0), (floor.Value, floor.Previous, floor.PreviousTs));
    }

    [Fact]
    public void Touch_OlderReadingAfterOfflineState_StaysOfflineUntilANewerMessage()
    {
        var batch = new DeviceBatch();
        batch.Touch(Envelopes.State(1, T0.AddSeconds(10), "boiler-1", "offline", "no response"), "boiler", "plant",
            (Facilities.Telemetry.DeviceStateMessage)Envelopes.State(1, T0.AddSeconds(10), "boiler-1", "offline", "no response").Message);
        batch.Touch(Envelopes.Telemetry(2, T0.AddSeconds(5), "boiler-1", "boiler", new Dictionary<string, double> { ["pressure"] = 1.5 }), "boiler", "plant", null);
        var facts = batch.Facts("estate", "boiler-1")!;
        Assert.Equal((false, "no response", T0.AddSeconds(10)), (facts.Online, facts.StateReason, facts.StateSince));

        batch.Touch(Envelopes.Telemetry(3, T0.AddSeconds(20), "boiler-1", "boiler", new Dictionary<string, double> { ["pressure"] = 1.5 }), "boiler", "plant", null);
        facts = batch.Facts("estate", "boiler-1")!;
        Assert.Equal((true, null, T0.AddSeconds(20)), (facts.Online, facts.StateReason, facts.StateSince));
        Assert.Equal(T0.AddSeconds(21), facts.LastSeen); // when it arrived, not when it was sampled
    }
}

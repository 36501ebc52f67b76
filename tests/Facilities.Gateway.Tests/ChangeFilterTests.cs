using Facilities.Gateway.Polling;
using Facilities.Gateway.Profiles;
using Facilities.Modbus.Protocol;

namespace Facilities.Gateway.Tests;

public sealed class ChangeFilterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
    private static readonly PointSpec Temperature = new() { Name = "temp", Table = RegisterTable.InputRegisters, Address = 0, Type = PointType.Int16, Count = 1, Deadband = 0.5 };
    private static readonly PointSpec Fault = new() { Name = "fault", Table = RegisterTable.InputRegisters, Address = 1, Type = PointType.UInt16, Count = 1, IsEvent = true };

    private readonly ChangeFilter _filter = new([Temperature, Fault], heartbeat: TimeSpan.FromMinutes(5));

    private FilteredSample Apply(double temp, double fault, TimeSpan at) =>
        _filter.Apply(new Dictionary<string, PointValue> { ["temp"] = new(temp), ["fault"] = new(fault) }, T0 + at);

    [Fact]
    public void FirstSample_EverythingGoesOut_NoEvents()
    {
        var first = Apply(20, 0, TimeSpan.Zero);
        Assert.Equal(2, first.Telemetry.Count);
        Assert.True(first.Heartbeat);
        Assert.Empty(first.Events);
    }

    [Fact]
    public void SmallMoves_StayQuiet_ButDriftBeyondTheDeadbandGetsThrough()
    {
        Apply(20, 0, TimeSpan.Zero);
        Assert.Empty(Apply(20.2, 0, TimeSpan.FromSeconds(10)).Telemetry);
        Assert.Empty(Apply(20.4, 0, TimeSpan.FromSeconds(20)).Telemetry);
        // 0.6 from the last *published* 20.0, though only 0.2 from the last sample.
        Assert.Equal(20.6, Apply(20.6, 0, TimeSpan.FromSeconds(30)).Telemetry["temp"]);
    }

    [Fact]
    public void EventPoint_ChangeIsAnEventWithItsPreviousValue()
    {
        Apply(20, 0, TimeSpan.Zero);
        var change = Assert.Single(Apply(20, 3, TimeSpan.FromSeconds(1)).Events);
        Assert.Equal(("fault", 3.0, 0.0), (change.Point.Name, change.Value.Number, change.Previous!.Value.Number));
    }

    [Fact]
    public void Heartbeat_ResendsUnchangedValues()
    {
        Apply(20, 0, TimeSpan.Zero);
        Assert.Empty(Apply(20, 0, TimeSpan.FromMinutes(4)).Telemetry);
        var beat = Apply(20, 0, TimeSpan.FromMinutes(5));
        Assert.True(beat.Heartbeat);
        Assert.Equal(2, beat.Telemetry.Count);
    }

    [Fact]
    public void PartialSamples_KeepEachPointsOwnHeartbeat()
    {
        Apply(20, 0, TimeSpan.Zero);
        // Only the fast group (fault) is sampled for a while; temp is not in these samples.
        for (var s = 1; s < 400; s += 2)
        {
            _filter.Apply(new Dictionary<string, PointValue> { ["fault"] = new(0) }, T0 + TimeSpan.FromSeconds(s));
        }

        var slow = Apply(20, 0, TimeSpan.FromSeconds(400));
        Assert.Contains("temp", slow.Telemetry.Keys);
    }

    [Fact]
    public void Reset_AfterOffline_SendsEverythingAgain()
    {
        Apply(20, 0, TimeSpan.Zero);
        _filter.Reset();
        Assert.Equal(2, Apply(20, 0, TimeSpan.FromSeconds(1)).Telemetry.Count);
    }

    [Fact]
    public void ScaledPoint_MovesByExactlyItsDeadband_GetsThrough()
    {
        // A 0.1-scaled register with a deadband of one step: 0.2 → 0.3 is 0.09999999999999998 apart in binary.
        var pressure = new PointSpec { Name = "pressure", Table = RegisterTable.InputRegisters, Address = 0, Type = PointType.UInt16, Count = 1, Scale = 0.1, Deadband = 0.1 };
        var filter = new ChangeFilter([pressure], heartbeat: TimeSpan.FromMinutes(5));
        filter.Apply(new Dictionary<string, PointValue> { ["pressure"] = PointDecoder.Decode(pressure, [2]) }, T0);
        var moved = filter.Apply(new Dictionary<string, PointValue> { ["pressure"] = PointDecoder.Decode(pressure, [3]) }, T0 + TimeSpan.FromSeconds(10));
        Assert.Equal(0.3, moved.Telemetry["pressure"]);
    }
}

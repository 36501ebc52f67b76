using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Tests.Alerts;

public sealed class DueTimesTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hold = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan JustPast = TimeSpan.FromMilliseconds(1);

    private static readonly RuleDefinition Stale = new() { Id = "device.stale", Kind = "*", Type = RuleType.Stale, After = TimeSpan.FromMinutes(12) };
    private static readonly RuleDefinition Offline = new() { Id = "device.offline", Kind = "*", Type = RuleType.Offline, For = TimeSpan.FromMinutes(1) };
    private static readonly RuleDefinition SupplyLow = new() { Id = "boiler.supply-low", Kind = "boiler", Type = RuleType.Threshold, Point = "supply", Below = 50, For = TimeSpan.FromMinutes(10) };
    private static readonly RuleDefinition Battery = new() { Id = "aed.battery-expiring", Kind = "aed-cabinet", Type = RuleType.Expiry, Point = "battery_expiry", DaysAhead = 30 };

    private static DeviceFacts Facts(DateTimeOffset lastSeen, bool online = true, Dictionary<string, PointReading>? points = null) =>
        new("estate", "gw-1", "dev-1", "boiler", "b01", online, Start, null, lastSeen, points ?? []);

    private static Dictionary<string, Alert> Open(params (string Rule, Alert Alert)[] alerts) => alerts.ToDictionary(a => a.Rule, a => a.Alert);

    [Fact]
    public void Device_SilenceRule_DueJustPastItsWindowFromLastHeard()
    {
        var due = DueTimes.Device([Stale, SupplyLow], Facts(Start.AddMinutes(3)), Open(), gatewayDown: false, Hold, Start.AddMinutes(3));

        Assert.Equal(Start.AddMinutes(15) + JustPast, due.Silence);
        Assert.Null(due.Timer);
        Assert.Equal(due.Silence, due.Next);
    }

    [Fact]
    public void Device_SilenceAlertOpen_WaitsForAMessage()
    {
        var firing = new Alert(1, AlertState.Firing, Start.AddMinutes(12), Start.AddMinutes(12));

        var due = DueTimes.Device([Stale], Facts(Start), Open(("device.stale", firing)), gatewayDown: false, Hold, Start.AddMinutes(13));

        Assert.Null(due.Next);
    }

    [Fact]
    public void Device_Offline_SilenceWaitsButPendingOfflineAlertComesDue()
    {
        var pending = new Alert(1, AlertState.Pending, Start);

        var due = DueTimes.Device([Stale, Offline], Facts(Start, online: false), Open(("device.offline", pending)), gatewayDown: false, Hold, Start);

        Assert.Null(due.Silence);
        Assert.Equal(Start.AddMinutes(1), due.Timer);
    }

    [Fact]
    public void Device_GatewayDown_LinkRulesWaitForItsReturn()
    {
        var pending = new Alert(1, AlertState.Pending, Start);

        var due = DueTimes.Device([Stale, Offline], Facts(Start, online: false), Open(("device.offline", pending)), gatewayDown: true, Hold, Start);

        Assert.Null(due.Next);
    }

    [Fact]
    public void Device_PendingAlert_DueWhenItsForRunsOut()
    {
        var pending = new Alert(1, AlertState.Pending, Start.AddMinutes(2));

        var due = DueTimes.Device([SupplyLow], Facts(Start.AddMinutes(2)), Open(("boiler.supply-low", pending)), gatewayDown: false, Hold, Start.AddMinutes(2));

        Assert.Equal(Start.AddMinutes(12), due.Timer);
    }

    [Fact]
    public void Device_FlappingAlertHeld_DueWhenTheHoldEnds()
    {
        var held = new Alert(1, AlertState.Firing, Start, Start, ClearSince: Start.AddMinutes(4), Flapping: true);

        var due = DueTimes.Device([SupplyLow], Facts(Start.AddMinutes(4)), Open(("boiler.supply-low", held)), gatewayDown: false, Hold, Start.AddMinutes(4));

        Assert.Equal(Start.AddMinutes(19), due.Timer);
    }

    [Fact]
    public void Device_ExpiryDate_DueItsDaysAheadBeforeTheDate()
    {
        var points = new Dictionary<string, PointReading> { ["battery_expiry"] = new(20270301, null, Start) };

        var due = DueTimes.Device([Battery], Facts(Start, points: points), Open(), gatewayDown: false, Hold, Start);

        Assert.Equal(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero).AddDays(-30), due.Timer);
    }

    [Fact]
    public void Device_ExpiryDateAlreadyNear_OnlyANewValueChangesIt()
    {
        var points = new Dictionary<string, PointReading> { ["battery_expiry"] = new(20261201, null, Start) };

        var due = DueTimes.Device([Battery], Facts(Start, points: points), Open(), gatewayDown: false, Hold, Start);

        Assert.Null(due.Timer);
    }

    [Fact]
    public void Gateway_Up_DueWhenSilentTooLong_Down_WaitsForAMessage()
    {
        var up = DueTimes.Gateway(down: false, Start, null, TimeSpan.FromMinutes(3), Hold);
        var down = DueTimes.Gateway(down: true, Start, null, TimeSpan.FromMinutes(3), Hold);

        Assert.Equal(Start.AddMinutes(3) + JustPast, up.Next);
        Assert.Null(down.Next);
    }

    [Fact]
    public void NotBefore_TimeAlreadyPast_IsPutOffByTheRetry()
    {
        var due = DueTimes.NotBefore(new DueTime(Start.AddMinutes(-1), Start.AddMinutes(5)), Start, TimeSpan.FromSeconds(30));

        Assert.Equal((Start.AddSeconds(30), Start.AddMinutes(5)), (due.Silence!.Value, due.Timer!.Value));
    }

    [Fact]
    public void Device_WindowedMean_ComesDueEachMinuteWhileItsWindowMoves_AndWaitsOnceSettled()
    {
        var nox = new RuleDefinition
        {
            Id = "boiler.nox-high", Kind = "boiler", Type = RuleType.Threshold, Point = "nox", Above = 80, For = TimeSpan.FromMinutes(10),
            Window = new RuleWindow { Function = WindowFunction.Mean, Over = TimeSpan.FromHours(1) },
        };
        var now = Start.AddMinutes(30);
        // NOx rose from 25 to 120 twenty minutes ago: the hourly mean climbs minute by minute with no new message.
        var moving = Facts(now) with { History = new Dictionary<string, IReadOnlyList<Sample>> { ["nox"] = [new(Start, 25), new(Start.AddMinutes(10), 120)] } };
        // The same 120 for the whole hour: the mean is 120 until something changes.
        var settled = Facts(now) with { History = new Dictionary<string, IReadOnlyList<Sample>> { ["nox"] = [new(Start.AddMinutes(-40), 120), new(Start.AddMinutes(25), 120)] } };

        Assert.Equal(now.AddMinutes(1), DueTimes.Device([nox], moving, Open(), gatewayDown: false, Hold, now).Timer);
        Assert.Null(DueTimes.Device([nox], settled, Open(), gatewayDown: false, Hold, now).Timer);
        Assert.Null(DueTimes.Device([nox], Facts(now), Open(), gatewayDown: false, Hold, now).Timer); // nothing heard yet
        // An hour after the change the old value has left the window: settled.
        Assert.Null(DueTimes.Device([nox], moving, Open(), gatewayDown: false, Hold, Start.AddMinutes(70)).Timer);
    }

    [Fact]
    public void Device_GatedMean_MovesWhileItsGateChangedWithinTheWindow()
    {
        var nox = new RuleDefinition
        {
            Id = "boiler.nox-high", Kind = "boiler", Type = RuleType.Threshold, Point = "nox", Above = 80,
            Window = new RuleWindow { Function = WindowFunction.Mean, Over = TimeSpan.FromHours(1), While = new PointCondition { Point = "flame", Values = [1] } },
        };
        var now = Start.AddMinutes(30);
        var facts = Facts(now) with
        {
            History = new Dictionary<string, IReadOnlyList<Sample>>
            {
                ["nox"] = [new(Start.AddHours(-2), 120)],
                ["flame"] = [new(Start.AddHours(-2), 0), new(Start.AddMinutes(20), 1)],
            },
        };

        Assert.Equal(now.AddMinutes(1), DueTimes.Device([nox], facts, Open(), gatewayDown: false, Hold, now).Timer);
    }
}

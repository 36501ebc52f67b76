using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Tests.Alerts;

public sealed class AlertReplayTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
    private static readonly ReplayDevice Boiler = new("estate", "boiler-1", "boiler");
    private static readonly FlapPolicy Flap = new(3, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(15));

    private static AlertReplay Replay(params RuleDefinition[] rules) =>
        new(new RuleSet(rules), new AlertLifecycle(Flap), Start, TimeSpan.FromSeconds(5));

    private static RuleDefinition LowPressure() => new()
    {
        Id = "low-pressure", Kind = "boiler", Type = RuleType.Threshold, Severity = "warning", Title = "t", Point = "pressure", Below = 0.8, For = TimeSpan.FromMinutes(5),
    };

    [Fact]
    public void AlertReplay_ConditionHoldingForItsFor_FiresOnTheFirstSweepAfterwardsWithoutANewMessage()
    {
        var replay = Replay(LowPressure());
        replay.Receive(Boiler, [new ReplayReading("pressure", 0.5)], Start + TimeSpan.FromSeconds(2));
        Assert.Equal(AlertState.Pending, replay.Open("estate", "boiler-1", "low-pressure")?.State);
        replay.AdvanceTo(Start + TimeSpan.FromMinutes(5));
        Assert.Equal(AlertState.Pending, replay.Open("estate", "boiler-1", "low-pressure")?.State);
        replay.AdvanceTo(Start + TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(5));
        var fired = replay.Open("estate", "boiler-1", "low-pressure");
        Assert.Equal(AlertState.Firing, fired?.State);
        Assert.Equal(Start + TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(5), fired?.FiredAt);
    }

    [Fact]
    public void AlertReplay_MessageWithPointsNoRuleReads_EvaluatesNothing_TheSweepDoes()
    {
        var stale = new RuleDefinition { Id = "stale", Kind = "*", Type = RuleType.Stale, Title = "t", After = TimeSpan.FromMinutes(1) };
        var replay = Replay(LowPressure(), stale);
        replay.Receive(Boiler, [new ReplayReading("pressure", 1.5)], Start);
        replay.AdvanceTo(Start + TimeSpan.FromMinutes(2));
        Assert.Equal(AlertState.Firing, replay.Open("estate", "boiler-1", "stale")?.State);

        // A reading of a point no rule reads does not concern the engine; silence ends on the next sweep.
        replay.Receive(Boiler, [new ReplayReading("gas_total", 10)], Start + TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        Assert.NotNull(replay.Open("estate", "boiler-1", "stale"));
        replay.AdvanceTo(Start + TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(5));
        Assert.Null(replay.Open("estate", "boiler-1", "stale"));
        Assert.Equal(AlertState.Resolved, replay.Latest("estate", "boiler-1", "stale")?.State);
    }

    [Fact]
    public void AlertReplay_ConditionFiringRepeatedly_StartsFlappingAndStaysOpen()
    {
        var alarm = new RuleDefinition { Id = "alarm", Kind = "boiler", Type = RuleType.State, Title = "t", Point = "alarm", Values = [1] };
        var replay = Replay(alarm);
        var transitions = new List<ReplayedTransition>();
        replay.Transitioned = transitions.Add;
        for (var i = 0; i < 8; i++)
        {
            replay.Receive(Boiler, [new ReplayReading("alarm", (i + 1) % 2)], Start + TimeSpan.FromMinutes(i));
        }

        Assert.True(replay.Open("estate", "boiler-1", "alarm")?.Flapping);
        Assert.Equal(3, transitions.Count(t => t.Transition.Events.Any(e => e.Action == AlertAction.Fired)));
    }

    [Fact]
    public void AlertReplay_OfflineDevice_OfflineRuleSpeaksAndStaleStaysQuiet()
    {
        var offline = new RuleDefinition { Id = "offline", Kind = "*", Type = RuleType.Offline, Title = "t" };
        var stale = new RuleDefinition { Id = "stale", Kind = "*", Type = RuleType.Stale, Title = "t", After = TimeSpan.FromMinutes(1) };
        var replay = Replay(offline, stale);
        replay.Receive(Boiler, [new ReplayReading("pressure", 1.5)], Start);
        replay.ReceiveState(Boiler, online: false, "timeout", Start + TimeSpan.FromSeconds(30));
        replay.AdvanceTo(Start + TimeSpan.FromMinutes(10));
        Assert.Equal(AlertState.Firing, replay.Open("estate", "boiler-1", "offline")?.State);
        Assert.Null(replay.Open("estate", "boiler-1", "stale"));
    }

    [Fact]
    public void AlertReplay_SweepingOnlyTimeDrivenRules_DecidesExactlyAsSweepingEveryRule()
    {
        RuleDefinition[] rules =
        [
            LowPressure(),
            new() { Id = "hot", Kind = "boiler", Type = RuleType.Threshold, Title = "t", Point = "supply", Above = 85, Clear = 80, For = TimeSpan.FromMinutes(1) },
            new() { Id = "alarm", Kind = "boiler", Type = RuleType.State, Title = "t", Point = "alarm", Values = [1], When = [new PointCondition { Point = "burner", Values = [1] }] },
            new() { Id = "stale", Kind = "*", Type = RuleType.Stale, Title = "t", After = TimeSpan.FromMinutes(3) },
            new() { Id = "offline", Kind = "*", Type = RuleType.Offline, Title = "t", For = TimeSpan.FromMinutes(1) },
        ];
        List<string> Run(bool timeDrivenOnly)
        {
            var replay = new AlertReplay(new RuleSet(rules), new AlertLifecycle(Flap), Start, TimeSpan.FromSeconds(5)) { SweepTimeDrivenOnly = timeDrivenOnly };
            var seen = new List<string>();
            replay.Transitioned = t => seen.Add($"{t.At:HH:mm:ss} {t.Device.Device} {t.Rule.Id} {t.Transition.Change}");
            var random = new Random(7);
            var devices = new[] { Boiler, Boiler with { Device = "boiler-2" } };
            var time = Start;
            for (var i = 0; i < 3000; i++)
            {
                time += TimeSpan.FromSeconds(random.Next(1, 40));
                var device = devices[random.Next(devices.Length)];
                if (random.NextDouble() < 0.02)
                {
                    replay.ReceiveState(device, random.NextDouble() < 0.5, "timeout", time);
                }
                else if (random.NextDouble() < 0.05)
                {
                    time += TimeSpan.FromMinutes(random.Next(1, 6)); // a silence
                }
                else
                {
                    replay.Receive(device, [new ReplayReading("pressure", random.NextDouble() * 2), new ReplayReading("supply", 75 + (random.NextDouble() * 15)),
                        new ReplayReading(random.NextDouble() < 0.5 ? "alarm" : "burner", random.Next(2))], time);
                }
            }

            replay.AdvanceTo(time + TimeSpan.FromHours(1));
            return seen;
        }

        var every = Run(timeDrivenOnly: false);
        Assert.True(every.Count > 100, $"only {every.Count} transitions: the stream exercises too little");
        Assert.Equal(every, Run(timeDrivenOnly: true));
    }
}

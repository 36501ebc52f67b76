using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Rules;
using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Devices.Elevator;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary>The shipped elevator rules judged against the simulator's elevator registers (pure: model, rule, evaluator).</summary>
public sealed class ElevatorRuleTests
{
    private static readonly DateTimeOffset Now = new(2027, 1, 15, 2, 0, 0, TimeSpan.Zero);

    private static readonly IReadOnlyList<RuleDefinition> Rules =
        RuleFiles.LoadFile(Path.Combine(AppContext.BaseDirectory, "rulesets", "default-rules.json"));

    [Theory]
    [InlineData("trapped-at-floor")]
    [InlineData("door-lock-open")]
    [InlineData("landing-button-stuck")]
    public void PassengerAlarm_PressedDuringAnotherFault_FiresBesideIt(string other)
    {
        var lift = new ElevatorModel(new DeviceIdentity("lift", "lift", "estate", "b01", "bus", 1), new ElevatorOptions(), Now);
        lift.Inject(other, Now);
        lift.Inject("passenger-alarm", Now);
        lift.Advance(Now + TimeSpan.FromSeconds(1));
        var facts = Facts(lift, Now + TimeSpan.FromSeconds(1));

        // The controller's single fault code shows the more serious fault and hides the alarm …
        Assert.Equal(other, facts.Points["fault_code"].Label);
        // … and the alarm still fires, as does the other fault's rule.
        var alarm = RuleEvaluator.Evaluate(Rules.Single(r => r.Id == "elevator.passenger-alarm"), facts, false, Now);
        Assert.True(alarm.Active);
        Assert.Null(alarm.Suppressed);
        Assert.True(RuleEvaluator.Evaluate(Rules.Single(r => r.Id == $"elevator.{other}"), facts, false, Now).Active);
    }

    [Fact]
    public void PassengerAlarm_NotPressed_StaysQuiet()
    {
        var lift = new ElevatorModel(new DeviceIdentity("lift", "lift", "estate", "b01", "bus", 1), new ElevatorOptions(), Now);
        lift.Inject("door-lock-open", Now);
        lift.Advance(Now + TimeSpan.FromSeconds(1));
        Assert.False(RuleEvaluator.Evaluate(Rules.Single(r => r.Id == "elevator.passenger-alarm"), Facts(lift, Now), false, Now).Active);
    }

    public static TheoryData<string, string> FaultsAndTheirRules => new()
    {
        { "trapped-at-floor", "elevator.trapped-at-floor" },
        { "trapped-between-floors", "elevator.trapped-between-floors" },
        { "stopped-outside-door-zone", "elevator.stopped-outside-door-zone" },
        { "door-open-while-moving", "elevator.door-open-while-moving" },
        { "unintended-car-movement", "elevator.unintended-car-movement" },
        { "overspeed", "elevator.overspeed" },
        { "overtravel-top", "elevator.overtravel-top" },
        { "overtravel-bottom", "elevator.overtravel-bottom" },
        { "safety-circuit-open", "elevator.safety-circuit-open" },
        { "door-lock-open", "elevator.door-lock-open" },
        { "door-fails-to-open", "elevator.door-fails-to-open" },
        { "door-fails-to-close", "elevator.door-fails-to-close" },
        { "floor-position-lost", "elevator.floor-position-lost" },
        { "motor-runtime-limiter", "elevator.motor-runtime-limiter" },
        { "mains-power-lost", "elevator.mains-power-lost" },
        { "mains-power-lost", "elevator.on-battery" },
        { "landing-button-stuck", "elevator.landing-button-stuck" },
        { "other-fault-preventing-restart", "elevator.other-fault-preventing-restart" },
        { "passenger-alarm", "elevator.passenger-alarm" },
        { "out-of-service", "elevator.out-of-service" },
        { "fire-return", "elevator.fire-service" },
        { "firefighter-mode", "elevator.fire-service" },
        { "earthquake-mode", "elevator.earthquake" },
    };

    [Theory]
    [MemberData(nameof(FaultsAndTheirRules))]
    public void ElevatorRule_ItsFaultInjected_Fires(string fault, string ruleId)
    {
        var lift = new ElevatorModel(new DeviceIdentity("lift", "lift", "estate", "b01", "bus", 1), new ElevatorOptions(), Now);
        lift.Inject(fault, Now);
        lift.Advance(Now + TimeSpan.FromSeconds(1));
        var verdict = RuleEvaluator.Evaluate(Rules.Single(r => r.Id == ruleId), Facts(lift, Now), false, Now);
        Assert.True(verdict.Active, verdict.Detail);
        Assert.Null(verdict.Suppressed);
    }

    [Fact]
    public void ElevatorRules_EveryOneHasAnInjectableFault()
    {
        var covered = FaultsAndTheirRules.Select(row => row.Data.Item2).Append("elevator.trapped-derived").ToHashSet();
        Assert.Empty(Rules.Where(r => r.Kind == "elevator").Select(r => r.Id).Except(covered));
    }

    [Fact]
    public void ElevatorRules_AnHourOfHealthyTraffic_NoneFires()
    {
        var lift = new ElevatorModel(new DeviceIdentity("lift", "lift", "estate", "b01", "bus", 1), new ElevatorOptions { CallsPerHour = 120 }, Now);
        var elevatorRules = Rules.Where(r => r.Kind == "elevator").ToList();
        var now = Now;
        for (var i = 0; i < 3600; i++)
        {
            now += TimeSpan.FromSeconds(1);
            lift.Advance(now);
            var facts = Facts(lift, now);
            var firing = elevatorRules.Where(r => RuleEvaluator.Evaluate(r, facts, false, now).Active == true).Select(r => r.Id).ToList();
            Assert.True(firing.Count == 0, $"{string.Join(", ", firing)} at {now:HH:mm:ss}");
        }
    }

    [Fact]
    public void PassengerAlarm_InInspectionMode_IsNotSuppressed()
    {
        var lift = new ElevatorModel(new DeviceIdentity("lift", "lift", "estate", "b01", "bus", 1), new ElevatorOptions(), Now);
        lift.Inject("inspection-mode", Now);
        lift.Inject("door-lock-open", Now);
        lift.Inject("passenger-alarm", Now);
        lift.Advance(Now + TimeSpan.FromSeconds(1));
        var facts = Facts(lift, Now);
        var alarm = RuleEvaluator.Evaluate(Rules.Single(r => r.Id == "elevator.passenger-alarm"), facts, false, Now);
        Assert.True(alarm.Active);
        Assert.Null(alarm.Suppressed);
        // The fault beside it is expected during maintenance and stays quiet.
        Assert.NotNull(RuleEvaluator.Evaluate(Rules.Single(r => r.Id == "elevator.door-lock-open"), facts, false, Now).Suppressed);
    }

    [Fact]
    public void Faults_TwoAtOnce_NeitherHidesTheOther()
    {
        var lift = new ElevatorModel(new DeviceIdentity("lift", "lift", "estate", "b01", "bus", 1), new ElevatorOptions(), Now);
        lift.Inject("trapped-between-floors", Now);
        lift.Inject("door-lock-open", Now);
        lift.Inject("floor-position-lost", Now);
        lift.Advance(Now + TimeSpan.FromSeconds(1));
        var facts = Facts(lift, Now);
        Assert.Equal("trapped-between-floors", facts.Points["fault_code"].Label);
        foreach (var id in new[] { "elevator.trapped-between-floors", "elevator.door-lock-open", "elevator.floor-position-lost" })
        {
            Assert.True(RuleEvaluator.Evaluate(Rules.Single(r => r.Id == id), facts, false, Now).Active, id);
        }
    }

    [Fact]
    public void TrappedDerived_OccupiedStoppedDoorsShutWithoutAnyCode_Fires()
    {
        // A controller that reports nothing: only the car's state tells.
        var rule = Rules.Single(r => r.Id == "elevator.trapped-derived");
        Assert.Equal(TimeSpan.FromSeconds(20), rule.For);
        var verdict = RuleEvaluator.Evaluate(rule, Car(occupied: 1, direction: "stopped", door: "closed"), false, Now);
        Assert.True(verdict.Active);
        Assert.Null(verdict.Suppressed);
    }

    [Theory]
    [InlineData(0, "stopped", "closed")]
    [InlineData(1, "up", "closed")]
    [InlineData(1, "stopped", "open")]
    public void TrappedDerived_EmptyMovingOrDoorOpen_DoesNotFire(int occupied, string direction, string door) =>
        Assert.NotEqual(true, RuleEvaluator.Evaluate(Rules.Single(r => r.Id == "elevator.trapped-derived"), Car(occupied, direction, door), false, Now).Active);

    [Fact]
    public void TrappedDerived_ControllerAlsoReportsTheEntrapment_IsSuppressedSoOneRescueOrderOpens()
    {
        var facts = Car(occupied: 1, direction: "stopped", door: "closed", ("fault_trapped_at_floor", 1, null));
        Assert.NotNull(RuleEvaluator.Evaluate(Rules.Single(r => r.Id == "elevator.trapped-derived"), facts, false, Now).Suppressed);
    }

    private static DeviceFacts Car(int occupied, string direction, string door, params (string Point, double Value, string? Label)[] more)
    {
        var points = new Dictionary<string, PointReading>(StringComparer.Ordinal)
        {
            ["occupied"] = new(occupied, null, Now),
            ["direction"] = new(direction == "stopped" ? 0 : 1, direction, Now),
            ["door_state"] = new(door == "closed" ? 0 : 2, door, Now),
            ["service_mode"] = new(0, "normal", Now),
            ["fault_code"] = new(0, "none", Now),
        };
        foreach (var (point, value, label) in more)
        {
            points[point] = new(value, label, Now);
        }

        return new DeviceFacts("estate", "gw", "lift", "elevator", "b01", true, Now, null, Now, points);
    }

    /// <summary>What the cloud knows of the elevator: every register point, labelled as the profile labels it (fault code, modes, door, direction).</summary>
    private static DeviceFacts Facts(DeviceModel model, DateTimeOffset now)
    {
        var labels = ElevatorMap.Map.Points.Where(p => p.Labels is not null).ToDictionary(p => p.Name, p => p.Labels!);
        return new DeviceFacts("estate", "gw", "lift", "elevator", "b01", true, now, null, now,
            model.Values().ToDictionary(
                v => v.Key,
                v => new PointReading(v.Value, labels.TryGetValue(v.Key, out var names) ? names.GetValueOrDefault((int)v.Value, "?") : null, now),
                StringComparer.Ordinal));
    }
}

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

    /// <summary>What the cloud knows of the elevator: every register point, with the profile's labels on the fault code.</summary>
    private static DeviceFacts Facts(DeviceModel model, DateTimeOffset now)
    {
        var labels = ElevatorFaults.All.Where(f => ElevatorFaults.Code(f.Name) > 0).ToDictionary(f => (double)ElevatorFaults.Code(f.Name), f => f.Name);
        return new DeviceFacts("estate", "gw", "lift", "elevator", "b01", true, now, null, now,
            model.Values().ToDictionary(
                v => v.Key,
                v => new PointReading(v.Value, v.Key == "fault_code" ? labels.GetValueOrDefault(v.Value, "none") : null, now),
                StringComparer.Ordinal));
    }
}

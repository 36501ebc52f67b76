using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Tests.Rules;

public sealed class RuleEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private static DeviceFacts Facts(params (string Point, double Value, string? Label)[] points) =>
        new("estate", "gw-1", "dev", "boiler", "b01", true, Now, null, Now,
            points.ToDictionary(p => p.Point, p => new PointReading(p.Value, p.Label, Now)));

    private static RuleDefinition TrappedWithBit() => new()
    {
        Type = RuleType.State, Point = "fault_code", Labels = ["trapped-at-floor"],
        AnyOf = [new PointCondition { Point = "fault_trapped_at_floor", Values = [1] }],
    };

    [Fact]
    public void AnyOf_BitSetWhileTheCodeShowsAnotherFault_IsActiveNamingTheBit()
    {
        var verdict = RuleEvaluator.Evaluate(TrappedWithBit(), Facts(("fault_code", 9, "door-lock-open"), ("fault_trapped_at_floor", 1, null)), false, Now);
        Assert.True(verdict.Active);
        Assert.Equal("fault_trapped_at_floor = 1", verdict.Detail);
    }

    [Fact]
    public void AnyOf_OnlyTheLegacyCodeReported_FiresFromIt()
    {
        var verdict = RuleEvaluator.Evaluate(TrappedWithBit(), Facts(("fault_code", 1, "trapped-at-floor")), false, Now);
        Assert.True(verdict.Active);
        Assert.Equal("fault_code = trapped-at-floor", verdict.Detail);
    }

    [Fact]
    public void AnyOf_OnlyTheBitReportedAndClear_IsClearNotUnknown() =>
        Assert.False(RuleEvaluator.Evaluate(TrappedWithBit(), Facts(("fault_trapped_at_floor", 0, null)), true, Now).Active);

    [Fact]
    public void AnyOf_NeitherPointReported_IsUnknown() =>
        Assert.Null(RuleEvaluator.Evaluate(TrappedWithBit(), Facts(("floor", 3, null)), false, Now).Active);

    [Fact]
    public void RuleChecks_AnyOfOnAThresholdRule_IsRefusedNamingTheField()
    {
        var rule = new RuleDefinition
        {
            Id = "x", Kind = "elevator", Title = "x", Type = RuleType.Threshold, Point = "speed", Above = 2,
            AnyOf = [new PointCondition { Point = "fault_overspeed", Values = [1] }],
        };
        Assert.Contains(RuleChecks.Problems([rule], overrides: false), p => p.Contains("'anyOf' applies only to state rules", StringComparison.Ordinal));
    }

    [Fact]
    public void State_LabelInList_IsActiveWithDetail()
    {
        var rule = new RuleDefinition { Type = RuleType.State, Point = "fault_code", Labels = ["trapped-at-floor"] };
        var verdict = RuleEvaluator.Evaluate(rule, Facts(("fault_code", 1, "trapped-at-floor")), false, Now);
        Assert.True(verdict.Active);
        Assert.Equal("fault_code = trapped-at-floor", verdict.Detail);
        Assert.False(RuleEvaluator.Evaluate(rule, Facts(("fault_code", 0, "none")), true, Now).Active);
    }

    [Fact]
    public void State_NegatedWildcard_FiresForAnyPortNotNone()
    {
        var rule = new RuleDefinition { Type = RuleType.State, Point = "port_*_fault_code", Labels = ["none"], Negate = true };
        var verdict = RuleEvaluator.Evaluate(rule, Facts(("port_1_fault_code", 0, "none"), ("port_12_fault_code", 1, "overcurrent"), ("port_1_power", 5, null)), false, Now);
        Assert.True(verdict.Active);
        Assert.Equal("port_12_fault_code = overcurrent", verdict.Detail);
        Assert.False(RuleEvaluator.Evaluate(rule, Facts(("port_1_fault_code", 0, "none")), false, Now).Active);
    }

    [Fact]
    public void State_PointNeverReported_IsUnknown() =>
        Assert.Null(RuleEvaluator.Evaluate(new RuleDefinition { Type = RuleType.State, Point = "smoke", Values = [1] }, Facts(), false, Now).Active);

    [Theory]
    [InlineData(3.1, false, true)]
    [InlineData(2.9, false, false)]
    [InlineData(2.9, true, true)] // inside the hysteresis band an active alert stays active
    [InlineData(2.6, true, false)]
    public void Threshold_Above_AppliesHysteresis(double value, bool wasActive, bool expected)
    {
        var rule = new RuleDefinition { Type = RuleType.Threshold, Point = "pressure", Above = 3.0, Clear = 2.7 };
        Assert.Equal(expected, RuleEvaluator.Evaluate(rule, Facts(("pressure", value, null)), wasActive, Now).Active);
    }

    [Theory]
    [InlineData(50, false, true)]
    [InlineData(57, true, true)]
    [InlineData(61, true, false)]
    public void Threshold_Below_AppliesHysteresis(double value, bool wasActive, bool expected)
    {
        var rule = new RuleDefinition { Type = RuleType.Threshold, Point = "supply_temperature", Below = 55, Clear = 60 };
        Assert.Equal(expected, RuleEvaluator.Evaluate(rule, Facts(("supply_temperature", value, null)), wasActive, Now).Active);
    }

    [Theory]
    [InlineData(46.7, 46.0, false, false)] // a floor-heating boiler on its setpoint
    [InlineData(54.8, 54.8, false, false)] // a radiator boiler on a mild morning
    [InlineData(37.9, 46.0, false, true)]
    [InlineData(66.0, 75.0, false, true)]
    [InlineData(69.0, 75.0, true, true)] // inside the hysteresis band (setpoint − 4) an active alert stays active
    [InlineData(71.5, 75.0, true, false)]
    public void Threshold_RelativeToSetpoint_JudgesEachBoilerAgainstItsOwnSetpoint(double supply, double setpoint, bool wasActive, bool expected)
    {
        var rule = new RuleDefinition { Type = RuleType.Threshold, Point = "supply_temperature", RelativeTo = "supply_setpoint", Below = -8, Clear = -4 };
        Assert.Equal(expected, RuleEvaluator.Evaluate(rule, Facts(("supply_temperature", supply, null), ("supply_setpoint", setpoint, null)), wasActive, Now).Active);
    }

    [Fact]
    public void Threshold_RelativeTo_NamesTheReferenceInTheDetail()
    {
        var rule = new RuleDefinition { Type = RuleType.Threshold, Point = "supply_temperature", RelativeTo = "supply_setpoint", Below = -8, Clear = -4 };
        var verdict = RuleEvaluator.Evaluate(rule, Facts(("supply_temperature", 40, null), ("supply_setpoint", 50, null)), false, Now);
        Assert.Equal("supply_temperature = 40 (limit 42 = supply_setpoint 50 − 8, clears above 46)", verdict.Detail);
    }

    [Fact]
    public void Threshold_RelativeToPointNeverReported_IsUnknown()
    {
        var rule = new RuleDefinition { Type = RuleType.Threshold, Point = "supply_temperature", RelativeTo = "supply_setpoint", Below = -8 };
        Assert.Null(RuleEvaluator.Evaluate(rule, Facts(("supply_temperature", 20, null)), false, Now).Active);
    }

    [Theory]
    [InlineData(25.5, false)]
    [InlineData(26.5, true)]
    public void Age_UnixTimeOlderThanAfter_IsActive(double hoursAgo, bool expected)
    {
        var rule = new RuleDefinition { Type = RuleType.Age, Point = "last_self_test", DateFormat = "unix", After = TimeSpan.FromHours(26) };
        var verdict = RuleEvaluator.Evaluate(rule, Facts(("last_self_test", Now.AddHours(-hoursAgo).ToUnixTimeSeconds(), null)), false, Now);
        Assert.Equal(expected, verdict.Active);
        Assert.Contains("ago (limit 26 h)", verdict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Age_NeverHappened_IsActive() =>
        Assert.True(RuleEvaluator.Evaluate(new RuleDefinition { Type = RuleType.Age, Point = "last_self_test", DateFormat = "unix", After = TimeSpan.FromHours(26) },
            Facts(("last_self_test", 0, null)), false, Now).Active);

    [Fact]
    public void When_PreconditionFalse_MakesRuleInactive()
    {
        var rule = new RuleDefinition
        {
            Type = RuleType.Threshold, Point = "supply_temperature", Below = 55, When = [new PointCondition { Point = "burner_on", Values = [1] }],
        };
        Assert.True(RuleEvaluator.Evaluate(rule, Facts(("supply_temperature", 40, null), ("burner_on", 1, null)), false, Now).Active);
        Assert.False(RuleEvaluator.Evaluate(rule, Facts(("supply_temperature", 40, null), ("burner_on", 0, null)), false, Now).Active);
    }

    [Fact]
    public void SuppressWhen_Holds_GivesActiveButSuppressedWithReason()
    {
        var rule = new RuleDefinition
        {
            Type = RuleType.State, Point = "fault_code", Labels = ["overspeed"],
            SuppressWhen = [new PointCondition { Point = "service_mode", Labels = ["inspection"], Reason = "inspection mode" }],
        };
        var verdict = RuleEvaluator.Evaluate(rule, Facts(("fault_code", 5, "overspeed"), ("service_mode", 1, "inspection")), false, Now);
        Assert.True(verdict.Active);
        Assert.Equal("inspection mode", verdict.Suppressed);
        Assert.Null(RuleEvaluator.Evaluate(rule, Facts(("fault_code", 5, "overspeed"), ("service_mode", 0, "normal")), false, Now).Suppressed);
    }

    [Fact]
    public void Rate_RiseFasterThanLimit_IsActive()
    {
        var rule = new RuleDefinition { Type = RuleType.Rate, Point = "temperature", RisePerMinute = 3 };
        var fast = new DeviceFacts("s", "g", "d", "charger-shed", "b", true, Now, null, Now,
            new Dictionary<string, PointReading> { ["temperature"] = new(40, null, Now, 30, Now.AddMinutes(-2)) });
        var slow = fast with { Points = new Dictionary<string, PointReading> { ["temperature"] = new(32, null, Now, 30, Now.AddMinutes(-2)) } };
        Assert.True(RuleEvaluator.Evaluate(rule, fast, false, Now).Active);
        Assert.False(RuleEvaluator.Evaluate(rule, slow, false, Now).Active);
        Assert.Null(RuleEvaluator.Evaluate(rule, Facts(("temperature", 30, null)), false, Now).Active);
    }

    [Theory]
    [InlineData(20261210, true)]   // 18 days ahead
    [InlineData(20270601, false)]
    [InlineData(20261101, true)]   // already expired
    [InlineData(20261399, true)]   // not a date: reported rather than ignored
    public void Expiry_YyyyMmDd_FiresWithinDaysAhead(double value, bool expected)
    {
        var rule = new RuleDefinition { Type = RuleType.Expiry, Point = "pads_expiry", DaysAhead = 30 };
        Assert.Equal(expected, RuleEvaluator.Evaluate(rule, Facts(("pads_expiry", value, null)), false, Now).Active);
    }

    [Fact]
    public void OfflineAndStale_FollowLinkStateAndSilence()
    {
        var offline = Facts() with { Online = false, StateReason = "no response within 1000 ms" };
        Assert.True(RuleEvaluator.Evaluate(new RuleDefinition { Type = RuleType.Offline }, offline, false, Now).Active);
        Assert.Contains("no response", RuleEvaluator.Evaluate(new RuleDefinition { Type = RuleType.Offline }, offline, false, Now).Detail, StringComparison.Ordinal);
        var stale = new RuleDefinition { Type = RuleType.Stale, After = TimeSpan.FromMinutes(12) };
        Assert.False(RuleEvaluator.Evaluate(stale, Facts(), false, Now.AddMinutes(11)).Active);
        Assert.True(RuleEvaluator.Evaluate(stale, Facts(), false, Now.AddMinutes(13)).Active);
    }
}

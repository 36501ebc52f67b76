using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Tests.Rules;

public sealed class WindowAggregateTests
{
    private static readonly DateTimeOffset T0 = new(2027, 1, 15, 0, 0, 0, TimeSpan.Zero);

    private static Sample At(double minutes, double value) => new(T0.AddMinutes(minutes), value);

    [Fact]
    public void Mean_StepSeries_IsTimeWeighted()
    {
        // 20 mg for 45 minutes, then 120 mg for 15: the hourly mean is 45, not the 70 of the two samples.
        var samples = new[] { At(0, 20), At(45, 120), At(60, 120) };
        Assert.Equal(45, WindowAggregate.Of(WindowFunction.Mean, samples, TimeSpan.FromHours(1))!.Value, 6);
    }

    [Fact]
    public void Mean_ValueInForceBeforeTheWindow_CountsFromTheWindowsStart()
    {
        var samples = new[] { At(0, 100), At(90, 40), At(120, 40) };
        // Window 60..120: 100 until minute 90, 40 after.
        Assert.Equal(70, WindowAggregate.Of(WindowFunction.Mean, samples, TimeSpan.FromHours(1))!.Value, 6);
    }

    [Fact]
    public void MeanWhile_BurnerOffHalfTheHour_AveragesOnlyTheFiringTime()
    {
        // NOx 120 while the flame burns, 0 (purge air) while it is out, 15 minutes each: the plain mean is 60, the
        // mean while firing (what DB11/139 judges) is 120.
        var nox = new[] { At(0, 120), At(15, 0), At(30, 120), At(45, 0), At(60, 0) };
        var flame = new[] { At(0, 1), At(15, 0), At(30, 1), At(45, 0), At(60, 0) };
        Assert.Equal(60, WindowAggregate.Of(WindowFunction.Mean, nox, TimeSpan.FromHours(1))!.Value, 6);
        Assert.Equal(120, WindowAggregate.MeanWhile(nox, flame, v => v == 1, TimeSpan.FromHours(1))!.Value, 6);
    }

    [Fact]
    public void MeanWhile_GateChangesBetweenValueSamples_WeighsEachPieceByItsTime()
    {
        // Value 40 from minute 0, 100 from minute 30; the flame burns from minute 20 to 50: 10 min at 40, 20 at 100.
        var values = new[] { At(0, 40), At(30, 100), At(60, 100) };
        var gate = new[] { At(0, 0), At(20, 1), At(50, 0), At(60, 0) };
        Assert.Equal(80, WindowAggregate.MeanWhile(values, gate, v => v == 1, TimeSpan.FromHours(1))!.Value, 6);
    }

    [Fact]
    public void MeanWhile_GateNeverOpenInTheWindow_IsNull()
    {
        var values = new[] { At(0, 120), At(60, 120) };
        var gate = new[] { At(0, 0), At(60, 0) };
        Assert.Null(WindowAggregate.MeanWhile(values, gate, v => v == 1, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void Increase_CounterWithAReset_CountsFromZeroAfterIt()
    {
        var samples = new[] { At(0, 100), At(20, 104), At(40, 2), At(60, 5) };
        Assert.Equal(9, WindowAggregate.Of(WindowFunction.Increase, samples, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void Increase_StartsBeforeTheWindow_AreNotCounted()
    {
        var samples = new[] { At(0, 10), At(30, 20), At(90, 23), At(120, 25) };
        Assert.Equal(5, WindowAggregate.Of(WindowFunction.Increase, samples, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void Change_OverTenMinutes_IsLastMinusTheValueAtTheStart()
    {
        var samples = new[] { At(0, 20), At(5, 21), At(12, 27), At(15, 32) };
        Assert.Equal(11, WindowAggregate.Of(WindowFunction.Change, samples, TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public void Mean_LastValueHoldsUntilNow_WithoutANewSample()
    {
        // The gateway sends a value once it changes beyond its deadband: 120 since minute 30 still holds at minute 60.
        var samples = new[] { At(0, 20), At(30, 120) };
        Assert.Equal(70, WindowAggregate.Of(WindowFunction.Mean, samples, TimeSpan.FromHours(1), T0.AddMinutes(60))!.Value, 6);
    }

    [Fact]
    public void Of_NoSamples_IsNull() => Assert.Null(WindowAggregate.Of(WindowFunction.Mean, [], TimeSpan.FromHours(1)));

    [Fact]
    public void Add_OldSamples_AreForgottenButTheValueInForceAtTheStartIsKept()
    {
        var samples = new List<Sample>();
        for (var minute = 0; minute <= 180; minute += 10)
        {
            WindowAggregate.Add(samples, At(minute, minute), TimeSpan.FromHours(1));
        }

        Assert.Equal(T0.AddMinutes(120), samples[0].Ts);
        Assert.Equal(T0.AddMinutes(180), samples[^1].Ts);
    }

    [Fact]
    public void Add_RepeatedValue_KeepsOnlyTheChangeAndTheLatestTime()
    {
        var samples = new List<Sample>();
        foreach (var minute in new[] { 0, 1, 2, 3, 4 })
        {
            WindowAggregate.Add(samples, At(minute, 7), TimeSpan.FromHours(1));
        }

        Assert.Equal([At(0, 7), At(4, 7)], samples);
    }

    [Fact]
    public void Add_LateOrDuplicateSample_IsIgnored()
    {
        var samples = new List<Sample> { At(10, 1) };
        WindowAggregate.Add(samples, At(5, 9), TimeSpan.FromHours(1));
        WindowAggregate.Add(samples, At(10, 9), TimeSpan.FromHours(1));
        Assert.Equal([At(10, 1)], samples);
    }

    [Fact]
    public void Threshold_HourlyMeanWindow_JudgesTheMeanNotTheSpike()
    {
        var rule = new RuleDefinition
        {
            Type = RuleType.Threshold, Point = "nox", Above = 80, Clear = 70,
            Window = new RuleWindow { Function = WindowFunction.Mean, Over = TimeSpan.FromHours(1) },
        };
        var spike = new[] { At(0, 25), At(50, 150), At(60, 150) };
        var facts = new DeviceFacts("estate", "gw", "boiler", "boiler", "plant", true, T0, null, T0.AddMinutes(60),
            new Dictionary<string, PointReading> { ["nox"] = new(150, null, T0.AddMinutes(60)) }, null,
            new Dictionary<string, IReadOnlyList<Sample>> { ["nox"] = spike });
        var verdict = RuleEvaluator.Evaluate(rule, facts, false, T0.AddMinutes(60));
        Assert.False(verdict.Active); // mean 45.8
        Assert.StartsWith("mean of nox over 1 h = 45.833", verdict.Detail, StringComparison.Ordinal);
    }
}

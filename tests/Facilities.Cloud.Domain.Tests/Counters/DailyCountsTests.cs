using Facilities.Cloud.Domain.Counters;

namespace Facilities.Cloud.Domain.Tests.Counters;

public sealed class DailyCountsTests
{
    [Fact]
    public void CounterPerDay_CountsFromThePreviousDaysLastReading_AndSurvivesAReset()
    {
        var counts = DailyCounts.PerDay(
            new CounterDay("2026-11-19", 900, 1000),
            [new("2026-11-20", 1010, 1100), new("2026-11-21", 1100, 1100), new("2026-11-22", 5, 40)]);

        Assert.Equal([("2026-11-20", 100L), ("2026-11-21", 0L), ("2026-11-22", 35L)], counts);
        Assert.Equal([("2026-11-20", 90L)], DailyCounts.PerDay(null, [new("2026-11-20", 1010, 1100)]));
    }

    [Theory]
    [InlineData("2026-11-21T15:59:59Z", "2026-11-21")]
    [InlineData("2026-11-21T16:00:00Z", "2026-11-22")] // local midnight in UTC+8
    public void Day_IsTheSitesLocalCalendarDay(string at, string day) =>
        Assert.Equal(day, DailyCounts.Day(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture), Zones.Shanghai));

    [Fact]
    public void Readings_OutOfOrder_KeepTheEarliestFirstAndTheLatestLast()
    {
        var folded = CounterDayReadings.Of(500, 2_000).Add(400, 1_000).Add(700, 3_000).Add(600, 2_500);

        Assert.Equal(new CounterDayReadings(400, 1_000, 700, 3_000), folded);
    }

    [Fact]
    public void Readings_SameSampleTime_FirstKeepsTheEarlierArrival_LastTakesTheNewcomer()
    {
        var folded = CounterDayReadings.Of(10, 1_000).Add(11, 1_000);

        Assert.Equal(new CounterDayReadings(10, 1_000, 11, 1_000), folded);
    }
}

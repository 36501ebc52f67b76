using System.Globalization;

namespace Facilities.Cloud.Domain.Counters;

/// <summary>A counter's first and last reading on one site-local day (<c>yyyy-MM-dd</c>).</summary>
public sealed record CounterDay(string Day, double FirstValue, double LastValue);

/// <summary>
/// A counter's first and last reading of a day with their sample times (Unix milliseconds), folded so that the order
/// readings arrive in does not matter: the earliest first reading (a tie keeps the one already there) and the latest
/// last reading (a tie takes the newcomer). The store's upsert applies the same rule.
/// </summary>
public readonly record struct CounterDayReadings(double FirstValue, long FirstTs, double LastValue, long LastTs)
{
    public static CounterDayReadings Of(double value, long ts) => new(value, ts, value, ts);

    public CounterDayReadings Add(double value, long ts)
    {
        var (firstValue, firstTs) = ts < FirstTs ? (value, ts) : (FirstValue, FirstTs);
        var (lastValue, lastTs) = ts >= LastTs ? (value, ts) : (LastValue, LastTs);
        return new(firstValue, firstTs, lastValue, lastTs);
    }
}

/// <summary>Per-day counting of ever-rising counters (an elevator's trips and door cycles), without I/O.</summary>
public static class DailyCounts
{
    /// <summary>The calendar day of <paramref name="at"/> in <paramref name="zone"/>, as <c>yyyy-MM-dd</c>.</summary>
    public static string Day(DateTimeOffset at, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// How much a counter rose on each day: from the last reading of the day before it (<paramref name="before"/> for
    /// the first) to its own last reading. A counter that went back (controller replaced or reset) counts from its first
    /// reading that day. Days are given oldest first.
    /// </summary>
    public static IReadOnlyList<(string Day, long Count)> PerDay(CounterDay? before, IReadOnlyList<CounterDay> days)
    {
        ArgumentNullException.ThrowIfNull(days);
        List<(string, long)> counts = [];
        var previous = before;
        foreach (var day in days)
        {
            var from = previous is { } p && p.LastValue <= day.FirstValue ? p.LastValue : day.FirstValue;
            counts.Add((day.Day, (long)Math.Max(0, day.LastValue - from)));
            previous = day;
        }

        return counts;
    }
}

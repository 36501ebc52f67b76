using System.Globalization;
using Dapper;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Notifications;
using Facilities.Telemetry;

namespace Facilities.Cloud.ReadModels;

/// <summary>A counter's first and last reading on one site-local day (<c>counter_days</c>).</summary>
public sealed record CounterDay(string Day, double FirstValue, double LastValue);

/// <summary>
/// Keeps, in the ingestion transaction, the first and last reading per site-local day of the counters the read
/// models count per day (an elevator's trips and door cycles). Two instances and out-of-order delivery agree: the
/// upsert keeps the earliest and the latest reading by sample time.
/// </summary>
public sealed class CounterDays(SiteTime siteTime) : IMessageHandler
{
    /// <summary>Device kind → the counters kept per day.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Counters = new Dictionary<string, string[]>
    {
        ["elevator"] = ["trips", "door_cycles"],
    };

    public async ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(context);
        if (envelope.Message is not TelemetryMessage telemetry || !Counters.TryGetValue(telemetry.Kind, out var points))
        {
            return;
        }

        var day = Day(envelope.Site, telemetry.Ts);
        var ts = telemetry.Ts.ToUnixTimeMilliseconds();
        foreach (var point in points)
        {
            if (!telemetry.Values.TryGetValue(point, out var value))
            {
                continue;
            }

            await context.Connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO counter_days (site, device, point, day, first_value, first_ts, last_value, last_ts)
                VALUES (@Site, @Device, @point, @day, @value, @ts, @value, @ts)
                ON CONFLICT (site, device, point, day) DO UPDATE SET
                    first_value = CASE WHEN excluded.first_ts < counter_days.first_ts THEN excluded.first_value ELSE counter_days.first_value END,
                    first_ts = CASE WHEN excluded.first_ts < counter_days.first_ts THEN excluded.first_ts ELSE counter_days.first_ts END,
                    last_value = CASE WHEN excluded.last_ts >= counter_days.last_ts THEN excluded.last_value ELSE counter_days.last_value END,
                    last_ts = CASE WHEN excluded.last_ts >= counter_days.last_ts THEN excluded.last_ts ELSE counter_days.last_ts END
                """,
                new { envelope.Site, envelope.Device, point, day, value, ts }, context.Transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>The site-local calendar day of <paramref name="at"/>, as <c>yyyy-MM-dd</c>.</summary>
    public string Day(string site, DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, siteTime.ZoneOf(site)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

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

using System.Data;
using System.Globalization;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Telemetry;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.ReadModels;

/// <summary>A counter's first and last reading on one site-local day (<c>counter_days</c>).</summary>
public sealed record CounterDay(string Day, double FirstValue, double LastValue);

/// <summary>
/// Keeps, in the ingestion transaction, the first and last reading per site-local day of the counters the read
/// models count per day (an elevator's trips and door cycles). Two instances and out-of-order delivery agree: the
/// upsert keeps the earliest and the latest reading by sample time. A batch's readings are folded by the same rule
/// in memory first and written in one statement.
/// </summary>
public sealed class CounterDays(SiteTime siteTime) : IMessageHandler
{
    /// <summary>Device kind → the counters kept per day.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Counters = new Dictionary<string, string[]>
    {
        ["elevator"] = ["trips", "door_cycles"],
    };

    public ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(context);
        if (envelope.Message is not TelemetryMessage telemetry || !Counters.TryGetValue(telemetry.Kind, out var points))
        {
            return ValueTask.CompletedTask;
        }

        var batch = context.Find<BatchDays>();
        if (batch is null)
        {
            context.Keep(batch = new BatchDays());
        }

        var day = Day(envelope.Site, telemetry.Ts);
        var ts = telemetry.Ts.ToUnixTimeMilliseconds();
        foreach (var point in points)
        {
            if (!telemetry.Values.TryGetValue(point, out var value))
            {
                continue;
            }

            // The upsert's rule, in arrival order: the earliest first reading (ties keep the one already there), the
            // latest last reading (ties take the newcomer).
            var key = (envelope.Site, envelope.Device!, point, day);
            if (batch.Rows.TryGetValue(key, out var row))
            {
                var (firstValue, firstTs) = ts < row.FirstTs ? (value, ts) : (row.FirstValue, row.FirstTs);
                var (lastValue, lastTs) = ts >= row.LastTs ? (value, ts) : (row.LastValue, row.LastTs);
                batch.Rows[key] = (firstValue, firstTs, lastValue, lastTs);
            }
            else
            {
                batch.Rows[key] = (value, ts, value, ts);
            }
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask EndBatchAsync(IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Find<BatchDays>() is { Rows.Count: > 0 } batch)
        {
            await DayRows.ExecuteAsync(context.Connection, context.Transaction,
                [.. batch.Rows.Select(r => new object?[] { r.Key.Site, r.Key.Device, r.Key.Point, r.Key.Day, r.Value.FirstValue, r.Value.FirstTs, r.Value.LastValue, r.Value.LastTs })],
                cancellationToken);
        }
    }

    private static readonly RowsStatement DayRows = new(
        "INSERT INTO counter_days (site, device, point, day, first_value, first_ts, last_value, last_ts)",
        """
        ON CONFLICT (site, device, point, day) DO UPDATE SET
            first_value = CASE WHEN excluded.first_ts < counter_days.first_ts THEN excluded.first_value ELSE counter_days.first_value END,
            first_ts = CASE WHEN excluded.first_ts < counter_days.first_ts THEN excluded.first_ts ELSE counter_days.first_ts END,
            last_value = CASE WHEN excluded.last_ts >= counter_days.last_ts THEN excluded.last_value ELSE counter_days.last_value END,
            last_ts = CASE WHEN excluded.last_ts >= counter_days.last_ts THEN excluded.last_ts ELSE counter_days.last_ts END
        """,
        DbType.String, DbType.String, DbType.String, DbType.String, DbType.Double, DbType.Int64, DbType.Double, DbType.Int64);

    /// <summary>A batch's readings per device, counter and day, folded.</summary>
    private sealed class BatchDays
    {
        public Dictionary<(string Site, string Device, string Point, string Day), (double FirstValue, long FirstTs, double LastValue, long LastTs)> Rows { get; } = [];
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

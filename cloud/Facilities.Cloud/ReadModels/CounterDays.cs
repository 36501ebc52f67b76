using Facilities.Cloud.Domain.Counters;
using Facilities.Cloud.Ingestion;
using Facilities.Telemetry;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.ReadModels;

/// <summary>
/// Keeps, in the ingestion transaction, the first and last reading per site-local day of the counters the read
/// models count per day (an elevator's trips and door cycles). Two instances and out-of-order delivery agree: the
/// upsert keeps the earliest and the latest reading by sample time. A batch's readings are folded by the same rule
/// (<see cref="CounterDayReadings"/>) in memory first and written in one statement.
/// </summary>
internal sealed class CounterDays(SiteTime siteTime) : IMessageHandler
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

            var key = (envelope.Site, envelope.Device!, point, day);
            batch.Rows[key] = batch.Rows.TryGetValue(key, out var row) ? row.Add(value, ts) : CounterDayReadings.Of(value, ts);
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask EndBatchAsync(IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Find<BatchDays>() is { Rows.Count: > 0 } batch)
        {
            await ReadModelStore.CounterDayRows.ExecuteAsync(context.Connection, context.Transaction,
                [.. batch.Rows.Select(r => new object?[] { r.Key.Site, r.Key.Device, r.Key.Point, r.Key.Day, r.Value.FirstValue, r.Value.FirstTs, r.Value.LastValue, r.Value.LastTs })],
                cancellationToken);
        }
    }

    /// <summary>A batch's readings per device, counter and day, folded.</summary>
    private sealed class BatchDays
    {
        public Dictionary<(string Site, string Device, string Point, string Day), CounterDayReadings> Rows { get; } = [];
    }

    /// <summary>The site-local calendar day of <paramref name="at"/>, as <c>yyyy-MM-dd</c>.</summary>
    public string Day(string site, DateTimeOffset at) => DailyCounts.Day(at, siteTime.ZoneOf(site));
}

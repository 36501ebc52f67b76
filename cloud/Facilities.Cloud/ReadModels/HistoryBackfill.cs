using Facilities.Cloud.Domain.Counters;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Cloud.TelemetryStore;
using Facilities.Telemetry;

namespace Facilities.Cloud.ReadModels;

/// <summary>
/// What <see cref="HistoryBackfill.WriteAsync"/> did: counter days written, lines put in the history outbox for InfluxDB,
/// and, for a part it left alone, why (<c>null</c> when it wrote).
/// </summary>
public sealed record BackfillResult(int CounterDays, long Lines, string? CounterDaysSkipped, string? LinesSkipped);

/// <summary>
/// Writes telemetry from before the cloud was listening (the demo's simulated weeks; an estate's export when it moves
/// to this cloud) into what the cloud keeps as history: the per-day counters of the read models (<c>counter_days</c>,
/// folded and upserted exactly as ingestion does, <see cref="CounterDays"/>) and, when InfluxDB is configured, the
/// telemetry store's lines (through the history outbox, so the drainer delivers them as it delivers live lines). It
/// runs no rules and touches no alerts, work orders, latest values or link states: history is not news. Each part is
/// written once: a site that already has counter days, or InfluxDB readings, from before <c>until</c> is left alone.
/// </summary>
public sealed class HistoryBackfill
{
    /// <summary>Lines per history-outbox row: the drainer sends rows whole up to its batch size.</summary>
    private const int LinesPerRow = 5000;

    private readonly CloudDatabase _database;
    private readonly CounterDays _counterDays;
    private readonly InfluxHistory _influx;
    private readonly HistoryOutboxStore? _outbox;
    private readonly TimeProvider _time;

    internal HistoryBackfill(CloudDatabase database, CounterDays counterDays, InfluxHistory influx, HistoryOutboxStore? outbox, TimeProvider time)
    {
        _database = database;
        _counterDays = counterDays;
        _influx = influx;
        _outbox = outbox;
        _time = time;
    }

    /// <summary>Whether the read models keep counter days of devices of <paramref name="kind"/> (elevators: trips, door cycles).</summary>
    public static bool KeepsCounterDaysOf(string kind) => CounterDays.Counters.ContainsKey(kind);

    /// <summary>Whether InfluxDB is configured, so that the history's lines are kept too (not only its counter days).</summary>
    public bool KeepsLines => _outbox is not null && _influx.Configured;

    /// <summary>
    /// Writes <paramref name="history"/>, the messages of <paramref name="site"/> from <paramref name="from"/> until
    /// <paramref name="until"/> (the moment live data takes over), unless the site already has history in that period.
    /// </summary>
    public async Task<BackfillResult> WriteAsync(string site, DateTimeOffset from, DateTimeOffset until, IReadOnlyList<Envelope> history, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(history);
        if (history.Any(e => e.Site != site || e.Message is not (TelemetryMessage or DeviceStateMessage) || e.Message.Ts < from || e.Message.Ts >= until))
        {
            throw new ArgumentException($"history holds only telemetry and device states of site '{site}' between {from:O} and {until:O}", nameof(history));
        }

        var (days, daysSkipped) = await CounterDaysAsync(site, until, history, cancellationToken);
        var (lines, linesSkipped) = await LinesAsync(site, from, until, history, cancellationToken);
        return new BackfillResult(days, lines, daysSkipped, linesSkipped);
    }

    private async Task<(int Days, string? Skipped)> CounterDaysAsync(string site, DateTimeOffset until, IReadOnlyList<Envelope> history, CancellationToken cancellationToken)
    {
        // The same fold as ingestion's (CounterDays): per device, counter and site-local day, the earliest and latest reading.
        var rows = new Dictionary<(string Device, string Point, string Day), CounterDayReadings>();
        foreach (var envelope in history)
        {
            if (envelope.Message is not TelemetryMessage telemetry || !CounterDays.Counters.TryGetValue(telemetry.Kind, out var points))
            {
                continue;
            }

            var day = _counterDays.Day(site, telemetry.Ts);
            var ts = telemetry.Ts.ToUnixTimeMilliseconds();
            foreach (var point in points)
            {
                if (telemetry.Values.TryGetValue(point, out var value))
                {
                    var key = (envelope.Device!, point, day);
                    rows[key] = rows.TryGetValue(key, out var row) ? row.Add(value, ts) : CounterDayReadings.Of(value, ts);
                }
            }
        }

        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        if (await ReadModelStore.HasCounterDaysBeforeAsync(connection, transaction, site, until.ToUnixTimeMilliseconds(), cancellationToken))
        {
            return (0, $"site '{site}' already has counter days from before {until:u}");
        }

        await ReadModelStore.CounterDayRows.ExecuteAsync(connection, transaction,
            [.. rows.Select(r => new object?[] { site, r.Key.Device, r.Key.Point, r.Key.Day, r.Value.FirstValue, r.Value.FirstTs, r.Value.LastValue, r.Value.LastTs })],
            cancellationToken);
        await write.CommitAsync(cancellationToken);
        return (rows.Count, null);
    }

    private async Task<(long Lines, string? Skipped)> LinesAsync(string site, DateTimeOffset from, DateTimeOffset until, IReadOnlyList<Envelope> history, CancellationToken cancellationToken)
    {
        if (_outbox is null || !KeepsLines)
        {
            return (0, "no InfluxDB configured (Influx:Url)");
        }

        if (history.Select(e => e.Message).OfType<TelemetryMessage>().FirstOrDefault(t => t.Values.Count > 0) is not { } sample)
        {
            return (0, "no telemetry in the history");
        }

        // InfluxDB keeps its data when the cloud's database starts afresh (the demo's does at every start): a second
        // backfill over lines already there would put a second simulated history beside the first.
        var measurement = TelemetrySchema.MeasurementOf(sample.Kind);
        var field = sample.Values.Keys.First();
        long existing;
        try
        {
            existing = await _influx.CountAsync(measurement, site, field, from, until, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (0, $"InfluxDB could not be asked whether it holds history already: {e.Message}");
        }

        if (existing > 0)
        {
            return (0, $"InfluxDB already holds {existing} readings of {measurement}.{field} of site '{site}' from {from:u} to {until:u}");
        }

        long lines = 0;
        var now = _time.GetUtcNow();
        await using var connection = await _database.OpenAsync(cancellationToken);
        foreach (var chunk in Chunks(history))
        {
            var (body, count) = HistoryRecorder.Format(chunk);
            if (count == 0)
            {
                continue;
            }

            await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
            var transaction = write.Transaction;
            await HistoryOutboxStore.AppendAsync(connection, transaction, body, count, now, cancellationToken);
            await write.CommitAsync(cancellationToken);
            _outbox.Announce(count);
            lines += count;
        }

        return (lines, null);
    }

    /// <summary>The messages in groups of about <see cref="LinesPerRow"/> lines (one line per message).</summary>
    private static IEnumerable<IReadOnlyList<Envelope>> Chunks(IReadOnlyList<Envelope> history)
    {
        for (var i = 0; i < history.Count; i += LinesPerRow)
        {
            var chunk = new List<Envelope>(Math.Min(LinesPerRow, history.Count - i));
            for (var j = i; j < history.Count && j < i + LinesPerRow; j++)
            {
                chunk.Add(history[j]);
            }

            yield return chunk;
        }
    }
}

using System.Globalization;
using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>
/// Makes <c>/healthz</c> say degraded while telemetry history is in trouble: lines were dropped from the history outbox
/// within the last <see cref="DropsReportedFor"/>, or its oldest row has waited for InfluxDB longer than
/// <see cref="BehindAfter"/>. Reads what the drainer last measured, so a health probe costs no query.
/// </summary>
internal sealed class HistoryHealth(TelemetryStoreMetrics metrics, InfluxOptions options, TimeProvider time) : IHealthConcern
{
    /// <summary>How long /healthz keeps reporting a drop: long enough for an operator (or a probe every few minutes) to see it.</summary>
    public static readonly TimeSpan DropsReportedFor = TimeSpan.FromHours(1);

    /// <summary>A backlog younger than this is the normal lag of batching, not a problem.</summary>
    public static readonly TimeSpan BehindAfter = TimeSpan.FromMinutes(1);

    public string? Reason()
    {
        var counters = metrics.Snapshot();
        var now = time.GetUtcNow();
        var reasons = new List<string>(2);
        if (counters.LastDroppedAt is { } droppedAt && now - droppedAt < DropsReportedFor)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"telemetry history lost: {counters.Dropped} lines ({counters.DroppedBytes} bytes) dropped from the history outbox since start-up, the oldest first, because more than Influx:MaxBacklogBytes = {options.MaxBacklogBytes} bytes waited for InfluxDB; last at {droppedAt:O}"));
        }

        if (counters.Backlog is { Oldest: { } oldest } backlog && now - oldest > BehindAfter)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"telemetry history waits for InfluxDB: the oldest of {backlog.Rows} rows ({backlog.Lines} lines, {backlog.Bytes} bytes, {100.0 * backlog.Bytes / options.MaxBacklogBytes:0.#} % of Influx:MaxBacklogBytes) is {(now - oldest).TotalSeconds:0} s old")
                + (counters.LastError is { } error ? $"; last error: {error}" : string.Empty));
        }

        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }
}

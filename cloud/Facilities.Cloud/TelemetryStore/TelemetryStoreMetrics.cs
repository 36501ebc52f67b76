namespace Facilities.Cloud.TelemetryStore;

/// <summary>A snapshot of what this instance's telemetry store did since start-up, in lines (points).</summary>
/// <param name="Enabled">False when no InfluxDB is configured (everything else is then zero).</param>
/// <param name="Written">Lines the server accepted.</param>
/// <param name="Dropped">Lines given up unwritten: the oldest rows of the history outbox, dropped when it held more than <c>Influx:MaxBacklogBytes</c>.</param>
/// <param name="DroppedBytes">Bytes of line protocol in <paramref name="Dropped"/>.</param>
/// <param name="Rejected">Lines the server refused as bad data, isolated and dropped so the rest of their batch was kept.</param>
/// <param name="Retries">Write requests that failed and were tried again.</param>
/// <param name="LastError">The last write error: the server's message or the transport error.</param>
/// <param name="LastErrorAt">When <paramref name="LastError"/> happened.</param>
/// <param name="LastDroppedAt">When this instance last dropped lines from the outbox.</param>
/// <param name="Backlog">What waited in the outbox (all instances) when it was last measured; null before the first measurement.</param>
/// <param name="BacklogAt">When <paramref name="Backlog"/> was measured.</param>
public sealed record TelemetryStoreCounters(
    bool Enabled, long Written, long Dropped, long DroppedBytes, long Rejected, long Retries, string? LastError, DateTimeOffset? LastErrorAt,
    DateTimeOffset? LastDroppedAt, HistoryBacklog? Backlog, DateTimeOffset? BacklogAt);

/// <summary>The telemetry store's counters, updated by the drainer and read by anyone (/metrics, /healthz).</summary>
public sealed class TelemetryStoreMetrics
{
    private readonly Lock _gate = new();
    private long _written;
    private long _dropped;
    private long _droppedBytes;
    private long _rejected;
    private long _retries;
    private (string Message, DateTimeOffset At)? _lastError;
    private DateTimeOffset? _lastDroppedAt;
    private (HistoryBacklog Backlog, DateTimeOffset At)? _backlog;

    public bool Enabled { get; init; }

    public TelemetryStoreCounters Snapshot()
    {
        lock (_gate)
        {
            return new TelemetryStoreCounters(
                Enabled, Interlocked.Read(ref _written), _dropped, _droppedBytes, Interlocked.Read(ref _rejected), Interlocked.Read(ref _retries),
                _lastError?.Message, _lastError?.At, _lastDroppedAt, _backlog?.Backlog, _backlog?.At);
        }
    }

    internal void AddWritten(long lines) => Interlocked.Add(ref _written, lines);

    internal void AddDropped(HistoryDrop drop, DateTimeOffset at)
    {
        lock (_gate)
        {
            _dropped += drop.Lines;
            _droppedBytes += drop.Bytes;
            _lastDroppedAt = at;
        }
    }

    internal void AddRejected(long lines) => Interlocked.Add(ref _rejected, lines);

    internal void AddRetry() => Interlocked.Increment(ref _retries);

    internal void SetLastError(string message, DateTimeOffset at)
    {
        lock (_gate)
        {
            _lastError = (message, at);
        }
    }

    internal void SetBacklog(HistoryBacklog backlog, DateTimeOffset at)
    {
        lock (_gate)
        {
            _backlog = (backlog, at);
        }
    }
}

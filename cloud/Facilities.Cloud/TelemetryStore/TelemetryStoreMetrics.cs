namespace Facilities.Cloud.TelemetryStore;

/// <summary>A snapshot of what the telemetry store did since start-up, in lines (points).</summary>
/// <param name="Enabled">False when no InfluxDB is configured (everything else is then zero).</param>
/// <param name="Written">Lines the server accepted.</param>
/// <param name="Dropped">Lines given up unwritten: the oldest when the buffer was full, and those still buffered at shutdown.</param>
/// <param name="Rejected">Lines the server refused as bad data, isolated and dropped so the rest of their batch was kept.</param>
/// <param name="Retries">Write requests that failed and were tried again.</param>
/// <param name="Buffered">Lines waiting to be written now.</param>
/// <param name="LastError">The last write error: the server's message or the transport error.</param>
/// <param name="LastErrorAt">When <paramref name="LastError"/> happened.</param>
public sealed record TelemetryStoreCounters(
    bool Enabled, long Written, long Dropped, long Rejected, long Retries, long Buffered, string? LastError, DateTimeOffset? LastErrorAt);

/// <summary>The telemetry store's counters, updated by the writer and read by anyone (/metrics, health).</summary>
public sealed class TelemetryStoreMetrics
{
    private readonly Lock _errorLock = new();
    private long _written;
    private long _dropped;
    private long _rejected;
    private long _retries;
    private (string Message, DateTimeOffset At)? _lastError;
    private Func<long> _buffered = () => 0;

    public bool Enabled { get; init; }

    public TelemetryStoreCounters Snapshot()
    {
        (string Message, DateTimeOffset At)? error;
        lock (_errorLock)
        {
            error = _lastError;
        }

        return new TelemetryStoreCounters(
            Enabled, Interlocked.Read(ref _written), Interlocked.Read(ref _dropped), Interlocked.Read(ref _rejected),
            Interlocked.Read(ref _retries), _buffered(), error?.Message, error?.At);
    }

    internal void ReportBuffered(Func<long> buffered) => _buffered = buffered;

    internal void AddWritten(long lines) => Interlocked.Add(ref _written, lines);

    internal void AddDropped(long lines) => Interlocked.Add(ref _dropped, lines);

    internal void AddRejected(long lines) => Interlocked.Add(ref _rejected, lines);

    internal void AddRetry() => Interlocked.Increment(ref _retries);

    internal void SetLastError(string message, DateTimeOffset at)
    {
        lock (_errorLock)
        {
            _lastError = (message, at);
        }
    }
}

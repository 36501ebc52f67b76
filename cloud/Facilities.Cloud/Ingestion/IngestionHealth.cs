namespace Facilities.Cloud.Ingestion;

/// <summary>
/// Whether ingestion advances: the consumer says when it starts on a batch, when the batch is stored, and why an
/// attempt failed. Stalled means a batch has waited longer than <see cref="IngestionOptions.StallWindow"/> without being
/// stored — the database refuses or is gone, or the consumer hangs — while the broker holds everything behind it.
/// Served by <c>/healthz</c> (503 while stalled) and <c>/metrics</c>.
/// </summary>
public sealed class IngestionHealth(IngestionOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _waitingSince;
    private DateTimeOffset? _lastStored;
    private string? _lastError;
    private long _failures;

    /// <summary>What /healthz and /metrics show.</summary>
    public sealed record Snapshot(bool Stalled, TimeSpan Waiting, DateTimeOffset? LastStored, string? LastError, long Failures, TimeSpan StallWindow);

    /// <summary>A batch is in hand (not yet stored); the first call since the last stored batch starts the clock.</summary>
    public void Waiting()
    {
        lock (_gate)
        {
            _waitingSince ??= time.GetUtcNow();
        }
    }

    /// <summary>The batch in hand is stored: nothing waits.</summary>
    public void Stored()
    {
        lock (_gate)
        {
            _waitingSince = null;
            _lastStored = time.GetUtcNow();
            _lastError = null;
        }
    }

    /// <summary>An attempt to store the batch in hand failed; it will be tried again.</summary>
    public void Failed(string error)
    {
        lock (_gate)
        {
            _lastError = error;
            _failures++;
        }
    }

    public Snapshot Check()
    {
        lock (_gate)
        {
            var waiting = _waitingSince is { } since ? time.GetUtcNow() - since : TimeSpan.Zero;
            return new Snapshot(waiting > options.StallWindow, waiting, _lastStored, _lastError, _failures, options.StallWindow);
        }
    }
}

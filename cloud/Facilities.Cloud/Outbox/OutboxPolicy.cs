namespace Facilities.Cloud.Outbox;

/// <summary>How one kind of outbox is worked: attempts, backoff, lease, send timeout, pass interval and parallel sends.</summary>
internal sealed record OutboxPolicy
{
    /// <summary>Attempts before a row is <c>failed</c> for good.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>Wait after the first failure; it doubles after each further failure up to <see cref="RetryMaxDelay"/>.</summary>
    public required TimeSpan RetryBaseDelay { get; init; }

    public required TimeSpan RetryMaxDelay { get; init; }

    /// <summary>How long a claimed row is reserved for its sender before another may take it over.</summary>
    public required TimeSpan LeaseTime { get; init; }

    /// <summary>An attempt without an answer in this time is a failed attempt.</summary>
    public required TimeSpan SendTimeout { get; init; }

    /// <summary>The wait between passes when the last one did not fill a batch.</summary>
    public required TimeSpan PollInterval { get; init; }

    /// <summary>Sends in flight at once per pass; 1 sends in due order, one after the other.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Due rows read per pass.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>The wait after failed attempt number <paramref name="attempt"/> (1-based): base × 2^(attempt−1), capped.</summary>
    public TimeSpan RetryDelay(long attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(RetryBaseDelay.Ticks * factor, RetryMaxDelay.Ticks));
        return delay < RetryMaxDelay ? delay : RetryMaxDelay;
    }
}

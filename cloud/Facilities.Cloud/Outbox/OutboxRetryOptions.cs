namespace Facilities.Cloud.Outbox;

/// <summary>
/// The retry settings every outbox section has under the same keys (<c>MaxAttempts</c>, <c>RetryBaseDelay</c>,
/// <c>RetryMaxDelay</c>, <c>LeaseTime</c>, <c>PollInterval</c>): section <c>Notifications</c> and section
/// <c>WorkOrders:Webhook</c> both bind them, each with its own defaults, and turn them into an <see cref="OutboxPolicy"/> one way.
/// </summary>
public abstract record OutboxRetryOptions
{
    protected OutboxRetryOptions(int maxAttempts, TimeSpan retryBaseDelay, TimeSpan retryMaxDelay, TimeSpan leaseTime, TimeSpan pollInterval)
    {
        MaxAttempts = maxAttempts;
        RetryBaseDelay = retryBaseDelay;
        RetryMaxDelay = retryMaxDelay;
        LeaseTime = leaseTime;
        PollInterval = pollInterval;
    }

    /// <summary>Tries per message before it is marked <c>failed</c>.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>Wait after the first failure; it doubles after each further failure up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; }

    public TimeSpan RetryMaxDelay { get; init; }

    /// <summary>
    /// How long a claimed message belongs to the instance sending it; if that instance dies mid-send, another one takes
    /// the message over after this time.
    /// </summary>
    public TimeSpan LeaseTime { get; init; }

    /// <summary>How often the dispatcher looks for queued messages.</summary>
    public TimeSpan PollInterval { get; init; }

    /// <summary>How the outbox is worked: these settings, with the section's time for one attempt and its parallel sends.</summary>
    internal OutboxPolicy Policy(TimeSpan sendTimeout, int concurrency) => new()
    {
        MaxAttempts = MaxAttempts, RetryBaseDelay = RetryBaseDelay, RetryMaxDelay = RetryMaxDelay,
        LeaseTime = LeaseTime, SendTimeout = sendTimeout, PollInterval = PollInterval, Concurrency = concurrency,
    };
}

using Facilities.Cloud.Outbox;

namespace Facilities.Cloud.Notifications;

/// <summary>
/// Sends queued notifications on their channels: the shared outbox mechanism (<see cref="OutboxDispatcher{TMessage}"/>)
/// over the <c>notifications</c> table, claiming each due row (safe with several instances), recording every attempt,
/// and on failure queuing it again with exponential backoff until <see cref="OutboxRetryOptions.MaxAttempts"/>, after
/// which it stays <c>failed</c> with the last error.
/// </summary>
internal sealed partial class NotificationDispatcher : BackgroundService, IOutboxDelivery<ClaimedNotification>
{
    private readonly NotificationChannels _channels;
    private readonly NotificationOptions _options;
    private readonly ILogger<NotificationDispatcher> _logger;
    private readonly OutboxDispatcher<ClaimedNotification> _outbox;

    public NotificationDispatcher(
        NotificationStore outbox, NotificationChannels channels, NotificationOptions options, TimeProvider time, ILogger<NotificationDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        _channels = channels;
        _options = options;
        _logger = logger;
        _outbox = new OutboxDispatcher<ClaimedNotification>(outbox.Store, this, Policy(options), time);
    }

    /// <summary>How the notification outbox is worked, from section <c>Notifications</c>.</summary>
    internal static OutboxPolicy Policy(NotificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Policy(options.SendTimeout, options.Concurrency);
    }

    /// <summary>One pass: sends what is due now; returns how many due rows it saw (claimed by this instance or not).</summary>
    public Task<int> DispatchDueAsync(CancellationToken cancellationToken) => _outbox.DispatchDueAsync(cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_logger, _options.Channels.Count, _options.Contacts.Count, _options.Routes.Count);
        if (_options.Routes.Count == 0)
        {
            LogNoRoutes(_logger);
        }

        return _outbox.RunAsync(stoppingToken);
    }

    Task<DeliveryResult> IOutboxDelivery<ClaimedNotification>.SendAsync(ClaimedNotification message, CancellationToken cancellationToken) =>
        _channels.Find(message.Channel) is { } channel
            ? channel.SendAsync(new Delivery(message.Key, message.Channel, message.Subject, message.Body, message.Target), cancellationToken)
            : Task.FromResult(DeliveryResult.Failed($"channel '{message.Channel}' is not configured"));

    void IOutboxDelivery<ClaimedNotification>.OnRecorded(ClaimedNotification message, DeliveryResult result, OutboxOutcome outcome, DateTimeOffset next)
    {
        switch (outcome)
        {
            case OutboxOutcome.Delivered:
                LogSent(_logger, message.Key, message.AlertId, message.Channel, message.Attempt);
                break;
            case OutboxOutcome.Retrying:
                LogRetrying(_logger, message.Key, message.Channel, message.Attempt, result.Detail, next);
                break;
            default:
                LogFailed(_logger, message.Key, message.AlertId, message.Channel, message.Attempt, result.Detail);
                break;
        }
    }

    void IOutboxDelivery<ClaimedNotification>.OnAbandoned(int count) => LogAbandoned(_logger, count);

    void IOutboxDelivery<ClaimedNotification>.OnPassFailed(Exception error) => LogPassFailed(_logger, error);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Notification {Id} for alert {AlertId} sent on {Channel} (attempt {Attempt})")]
    private static partial void LogSent(ILogger logger, long id, long alertId, string channel, long attempt);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Notification {Id} on {Channel}: attempt {Attempt} failed ({Detail}); next try at {Next}")]
    private static partial void LogRetrying(ILogger logger, long id, string channel, long attempt, string detail, DateTimeOffset next);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Notification {Id} for alert {AlertId} on {Channel} failed after {Attempts} attempts: {Detail}")]
    private static partial void LogFailed(ILogger logger, long id, long alertId, string channel, long attempts, string detail);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Error, Message = "Notification dispatch pass failed; trying again")]
    private static partial void LogPassFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "{Count} notifications failed: their last attempt never reported back")]
    private static partial void LogAbandoned(ILogger logger, int count);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Information, Message = "Notifications: {Channels} channels, {Contacts} contacts, {Routes} routes")]
    private static partial void LogStarted(ILogger logger, int channels, int contacts, int routes);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Warning, Message = "Notifications: no routes configured (section Notifications:Routes); alerts notify nobody")]
    private static partial void LogNoRoutes(ILogger logger);
}

using System.Data.Common;

namespace Facilities.Cloud.Notifications;

/// <summary>
/// Sends queued notifications: claims each due row (safe with several instances), sends it on its channel, records
/// the attempt, and on failure queues it again with exponential backoff until <see cref="NotificationOptions.MaxAttempts"/>,
/// after which it stays <c>failed</c> with the last error.
/// </summary>
public sealed partial class NotificationDispatcher(
    NotificationOutbox outbox, NotificationChannels channels, NotificationOptions options, TimeProvider time, ILogger<NotificationDispatcher> logger)
    : BackgroundService
{
    private const int BatchSize = 100;

    /// <summary>The wait after failed attempt number <paramref name="attempt"/> (1-based): base × 2^(attempt−1), capped.</summary>
    public static TimeSpan RetryDelay(NotificationOptions options, long attempt)
    {
        ArgumentNullException.ThrowIfNull(options);
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(options.RetryBaseDelay.Ticks * factor, options.RetryMaxDelay.Ticks));
        return delay < options.RetryMaxDelay ? delay : options.RetryMaxDelay;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(logger, options.Channels.Count, options.Contacts.Count, options.Routes.Count);
        if (options.Routes.Count == 0)
        {
            LogNoRoutes(logger);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var handled = 0;
            try
            {
                handled = await DispatchDueAsync(stoppingToken);
            }
            catch (Exception error) when (error is DbException or InvalidOperationException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(logger, error);
            }

            if (handled < BatchSize)
            {
                await Task.Delay(options.PollInterval, time, stoppingToken);
            }
        }
    }

    /// <summary>One pass: sends what is due now; returns how many due rows it saw (claimed by this instance or not).</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var abandoned = await outbox.AbandonAsync(now, options.MaxAttempts, cancellationToken);
        if (abandoned > 0)
        {
            LogAbandoned(logger, abandoned);
        }

        var due = await outbox.DueAsync(now, BatchSize, options.MaxAttempts, cancellationToken);
        await Parallel.ForEachAsync(
            due, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellationToken }, DispatchOneAsync);
        return due.Count;
    }

    private async ValueTask DispatchOneAsync(long id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (await outbox.ClaimAsync(id, now, now + options.LeaseTime, options.MaxAttempts, cancellationToken) is not { } claimed)
        {
            return;
        }

        var started = time.GetTimestamp();
        var result = await SendAsync(claimed, cancellationToken);
        var finished = time.GetUtcNow();
        var (state, next) = result.Delivered ? (NotificationOutbox.Sent, finished)
            : claimed.Attempts >= options.MaxAttempts ? (NotificationOutbox.Failed, finished)
            : (NotificationOutbox.Queued, finished + RetryDelay(options, claimed.Attempts));
        await outbox.RecordAsync(claimed, result, state, next, finished, time.GetElapsedTime(started), cancellationToken);
        switch (state)
        {
            case NotificationOutbox.Sent:
                LogSent(logger, claimed.Id, claimed.AlertId, claimed.Channel, claimed.Attempts);
                break;
            case NotificationOutbox.Queued:
                LogRetrying(logger, claimed.Id, claimed.Channel, claimed.Attempts, result.Detail, next);
                break;
            default:
                LogFailed(logger, claimed.Id, claimed.AlertId, claimed.Channel, claimed.Attempts, result.Detail);
                break;
        }
    }

    /// <summary>Sends one claimed row; every failure, refusal or transport error, comes back as a failed result to record.</summary>
    private async Task<DeliveryResult> SendAsync(ClaimedNotification claimed, CancellationToken cancellationToken)
    {
        if (channels.Find(claimed.Channel) is not { } channel)
        {
            return DeliveryResult.Failed($"channel '{claimed.Channel}' is not configured");
        }

        using var timeout = new CancellationTokenSource(options.SendTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await channel.SendAsync(new Delivery(claimed.Id, claimed.Channel, claimed.Subject, claimed.Body, claimed.Target), linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Failed($"no answer within {options.SendTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return DeliveryResult.Failed($"{error.GetType().Name}: {error.Message}");
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Notification {Id} for alert {AlertId} sent on {Channel} (attempt {Attempt})")]
    private static partial void LogSent(ILogger logger, long id, long alertId, string channel, long attempt);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Notification {Id} on {Channel}: attempt {Attempt} failed ({Detail}); next try at {Next}")]
    private static partial void LogRetrying(ILogger logger, long id, string channel, long attempt, string detail, DateTimeOffset next);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Notification {Id} for alert {AlertId} on {Channel} failed after {Attempts} attempts: {Detail}")]
    private static partial void LogFailed(ILogger logger, long id, long alertId, string channel, long attempts, string detail);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Error, Message = "Notification dispatch pass failed; trying again")]
    private static partial void LogPassFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Information, Message = "Notifications: {Channels} channels, {Contacts} contacts, {Routes} routes")]
    private static partial void LogStarted(ILogger logger, int channels, int contacts, int routes);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Warning, Message = "Notifications: no routes configured (section Notifications:Routes); alerts notify nobody")]
    private static partial void LogNoRoutes(ILogger logger);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "{Count} notifications failed: their last attempt never reported back")]
    private static partial void LogAbandoned(ILogger logger, int count);
}

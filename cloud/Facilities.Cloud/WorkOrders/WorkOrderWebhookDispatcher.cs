using System.Data.Common;
using System.Globalization;
using System.Net.Mime;
using System.Text;
using Dapper;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// Delivers queued work-order events to <c>WorkOrders:Webhook:Url</c>, oldest first. Each row is claimed with a guarded
/// UPDATE that moves its next-attempt time past now (a lease), so two instances never post the same row at once and a
/// row whose sender died is taken over when the lease runs out. A 2xx answer delivers it; anything else queues it again
/// after base × 2^(attempt−1) (capped), until <c>MaxAttempts</c>, after which it stays <c>failed</c> with the last error.
/// </summary>
public sealed partial class WorkOrderWebhookDispatcher(
    CloudDatabase database, WorkOrderOptions options, TimeProvider time, ILogger<WorkOrderWebhookDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 100;

    private readonly WorkOrderWebhookOptions _webhook = options.Webhook;

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = options.Webhook.Timeout };

    /// <summary>The wait after failed attempt number <paramref name="attempt"/> (1-based).</summary>
    public static TimeSpan RetryDelay(WorkOrderWebhookOptions webhook, long attempt)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(webhook.RetryBaseDelay.Ticks * factor, webhook.RetryMaxDelay.Ticks));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var seen = 0;
            try
            {
                seen = await DispatchDueAsync(stoppingToken);
            }
            catch (Exception error) when (error is DbException or InvalidOperationException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(logger, error);
            }

            if (seen < BatchSize)
            {
                try
                {
                    await Task.Delay(_webhook.PollInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One pass: posts every due event this instance can claim; returns how many were due.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        List<long> due;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            due = [.. await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT event_id FROM work_order_webhooks WHERE state IN (@Queued, @Sending) AND next_attempt_at <= @now ORDER BY event_id LIMIT @BatchSize",
                new { WorkOrderWebhookOutbox.Queued, WorkOrderWebhookOutbox.Sending, now, BatchSize }, cancellationToken: cancellationToken))];
        }

        foreach (var id in due)
        {
            await DeliverAsync(id, cancellationToken);
        }

        return due.Count;
    }

    private async Task DeliverAsync(long eventId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        var claimed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE work_order_webhooks SET state = @Sending, attempts = attempts + 1, next_attempt_at = @lease
            WHERE event_id = @eventId AND state IN (@Queued, @Sending) AND next_attempt_at <= @now
            """,
            new { WorkOrderWebhookOutbox.Sending, WorkOrderWebhookOutbox.Queued, lease = now + (long)_webhook.LeaseTime.TotalMilliseconds, eventId, now },
            cancellationToken: cancellationToken));
        if (claimed == 0)
        {
            return; // another instance has it
        }

        var (type, payload, attempts) = await connection.QuerySingleAsync<(string, string, long)>(new CommandDefinition(
            "SELECT event_type, payload, attempts FROM work_order_webhooks WHERE event_id = @eventId", new { eventId }, cancellationToken: cancellationToken));
        var error = await PostAsync(eventId, type, payload, attempts, cancellationToken);
        var finished = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (state, next) = error is null ? (WorkOrderWebhookOutbox.Delivered, finished)
            : attempts >= _webhook.MaxAttempts ? (WorkOrderWebhookOutbox.Failed, finished)
            : (WorkOrderWebhookOutbox.Queued, finished + (long)RetryDelay(_webhook, attempts).TotalMilliseconds);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE work_order_webhooks SET state = @state, next_attempt_at = @next, last_error = @error,
                delivered_at = CASE WHEN @delivered = 1 THEN @finished ELSE delivered_at END
            WHERE event_id = @eventId AND state = @Sending AND attempts = @attempts
            """,
            new { state, next, error, delivered = error is null ? 1 : 0, finished, eventId, WorkOrderWebhookOutbox.Sending, attempts }, cancellationToken: cancellationToken));
        if (error is not null)
        {
            LogFailed(logger, eventId, attempts, state, error);
        }
    }

    /// <summary>Posts one event; null when the receiver took it, otherwise what went wrong.</summary>
    private async Task<string?> PostAsync(long eventId, string type, string payload, long attempt, CancellationToken cancellationToken)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, _webhook.Url) { Content = new StringContent(payload, Encoding.UTF8, MediaTypeNames.Application.Json) };
        request.Headers.TryAddWithoutValidation(WorkOrderWebhookOutbox.EventHeader, type);
        request.Headers.TryAddWithoutValidation(WorkOrderWebhookOutbox.EventIdHeader, WorkOrderWebhookOutbox.EventId(eventId));
        request.Headers.TryAddWithoutValidation(WorkOrderWebhookOutbox.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WorkOrderWebhookOutbox.SignatureHeader, WorkOrderWebhookOutbox.Signature(_webhook.Secret, timestamp, payload));
        request.Headers.TryAddWithoutValidation("X-Facilities-Attempt", attempt.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? null : string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (HttpRequestException failure)
        {
            return failure.Message;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {_webhook.Timeout.TotalSeconds:0.#} s";
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Work-order webhook event {EventId}, attempt {Attempt}: {Error} (now {State})")]
    private static partial void LogFailed(ILogger logger, long eventId, long attempt, string state, string error);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Warning, Message = "Work-order webhook pass failed; trying again shortly")]
    private static partial void LogPassFailed(ILogger logger, Exception error);
}

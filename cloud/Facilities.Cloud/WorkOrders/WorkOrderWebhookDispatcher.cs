using System.Globalization;
using Facilities.Cloud.Outbox;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// Delivers queued work-order events to <c>WorkOrders:Webhook:Url</c>, one after the other in due order: the shared
/// outbox mechanism (<see cref="OutboxDispatcher{TMessage}"/>) over <c>work_order_webhooks</c>, posting signed JSON on
/// the shared HTTP path (<see cref="HttpDelivery"/>). A 2xx answer delivers an event; anything else queues it again
/// after base × 2^(attempt−1) (capped), until <c>MaxAttempts</c>, after which it stays <c>failed</c> with the last error.
/// </summary>
internal sealed partial class WorkOrderWebhookDispatcher : BackgroundService, IOutboxDelivery<ClaimedWebhookEvent>
{
    private readonly WorkOrderWebhookOptions _webhook;
    private readonly Uri _url;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkOrderWebhookDispatcher> _logger;
    private readonly HttpClient _http;
    private readonly OutboxDispatcher<ClaimedWebhookEvent> _outbox;

    public WorkOrderWebhookDispatcher(CloudDatabase database, WorkOrderOptions options, TimeProvider time, ILogger<WorkOrderWebhookDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _webhook = options.Webhook;
        _url = new Uri(_webhook.Url ?? throw new ArgumentException("WorkOrders:Webhook:Url is not set", nameof(options)));
        _time = time;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = _webhook.Timeout };
        _outbox = new OutboxDispatcher<ClaimedWebhookEvent>(new OutboxStore<ClaimedWebhookEvent>(database, WorkOrderWebhookStore.Table), this, Policy(_webhook), time);
    }

    /// <summary>How the webhook outbox is worked, from section <c>WorkOrders:Webhook</c>: one post at a time, oldest due first.</summary>
    internal static OutboxPolicy Policy(WorkOrderWebhookOptions webhook)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        return webhook.Policy(webhook.Timeout, concurrency: 1);
    }

    /// <summary>One pass: posts every due event this instance can claim; returns how many were due.</summary>
    public Task<int> DispatchDueAsync(CancellationToken cancellationToken) => _outbox.DispatchDueAsync(cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _outbox.RunAsync(stoppingToken);

    async Task<DeliveryResult> IOutboxDelivery<ClaimedWebhookEvent>.SendAsync(ClaimedWebhookEvent message, CancellationToken cancellationToken)
    {
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        var headers = new Dictionary<string, string>
        {
            [WorkOrderWebhookStore.EventHeader] = message.Type,
            [WorkOrderWebhookStore.EventIdHeader] = WorkOrderWebhookStore.EventId(message.Key),
            [WorkOrderWebhookStore.TimestampHeader] = timestamp.ToString(CultureInfo.InvariantCulture),
            [WorkOrderWebhookStore.SignatureHeader] = WorkOrderWebhookStore.Signature(_webhook.Secret, timestamp, message.Payload),
            [WorkOrderWebhookStore.AttemptHeader] = message.Attempt.ToString(CultureInfo.InvariantCulture),
        };
        var (status, body) = await HttpDelivery.PostJsonAsync(_http, _url, message.Payload, headers, cancellationToken);
        return HttpDelivery.FromStatus(status, body);
    }

    void IOutboxDelivery<ClaimedWebhookEvent>.OnRecorded(ClaimedWebhookEvent message, DeliveryResult result, OutboxOutcome outcome, DateTimeOffset next)
    {
        if (outcome != OutboxOutcome.Delivered)
        {
            LogFailed(_logger, message.Key, message.Attempt, outcome == OutboxOutcome.Retrying ? WorkOrderWebhookStore.Queued : WorkOrderWebhookStore.Failed, result.Detail);
        }
    }

    void IOutboxDelivery<ClaimedWebhookEvent>.OnAbandoned(int count) => LogAbandoned(_logger, count);

    void IOutboxDelivery<ClaimedWebhookEvent>.OnPassFailed(Exception error) => LogPassFailed(_logger, error);

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Work-order webhook event {EventId}, attempt {Attempt}: {Error} (now {State})")]
    private static partial void LogFailed(ILogger logger, long eventId, long attempt, string state, string error);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Warning, Message = "Work-order webhook pass failed; trying again shortly")]
    private static partial void LogPassFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Warning, Message = "{Count} work-order webhook events failed: their last attempt never reported back")]
    private static partial void LogAbandoned(ILogger logger, int count);
}

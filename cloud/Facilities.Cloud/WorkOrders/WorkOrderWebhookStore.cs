using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Facilities.Cloud.Outbox;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// What the webhook receives for one timeline entry. <c>Id</c> (<c>wo-event-{sequence}</c>) is the same on every retry,
/// so a receiver drops duplicates by it; <c>Sequence</c> orders the events (retries may reorder deliveries); <c>Order</c>
/// is the order as it was right after the change.
/// </summary>
internal sealed record WorkOrderWebhookEvent(
    string Id, string Type, long Sequence, DateTimeOffset At, string Action, string Actor, string? Detail, WorkOrderView Order);

/// <summary>A webhook event claimed for one attempt: its sequence (<see cref="Key"/>), type and JSON document.</summary>
internal sealed class ClaimedWebhookEvent : IOutboxMessage
{
    public long Key { get; set; }

    public long Attempt { get; set; }

    public string Type { get; set; } = "";

    public string Payload { get; set; } = "";
}

/// <summary>
/// The <c>work_order_webhooks</c> table as an outbox: one row per timeline entry, written in the change's transaction
/// (<see cref="WorkOrderTimeline"/>) and delivered later by <see cref="WorkOrderWebhookDispatcher"/> through the shared
/// outbox mechanism.
/// </summary>
internal static class WorkOrderWebhookStore
{
    public const string Queued = OutboxTable.Queued;
    public const string Sending = OutboxTable.Sending;
    public const string Delivered = "delivered";
    public const string Failed = OutboxTable.Failed;

    public const string EventHeader = "X-Facilities-Event";
    public const string EventIdHeader = "X-Facilities-Event-Id";
    public const string TimestampHeader = "X-Facilities-Timestamp";
    public const string SignatureHeader = "X-Facilities-Signature";
    public const string AttemptHeader = "X-Facilities-Attempt";

    /// <summary>The <c>work_order_webhooks</c> table as the outbox mechanism sees it (no attempt history: the row keeps the last error).</summary>
    internal static readonly OutboxTable Table = new("work_order_webhooks", "event_id", "event_type AS Type, payload AS Payload", Delivered, "delivered_at");

    /// <summary><c>workorder.opened</c>, <c>workorder.started</c> (for in_progress), <c>workorder.sla-breached</c>, …</summary>
    public static string EventType(string action) => "workorder." + (action == WorkOrderLifecycle.InProgress ? "started" : action);

    public static string EventId(long sequence) => string.Create(CultureInfo.InvariantCulture, $"wo-event-{sequence}");

    internal static async Task EnqueueAsync(
        DbConnection connection, DbTransaction transaction, long eventId, long orderId, long at, string action, string actor, string? detail, CancellationToken cancellationToken)
    {
        var order = await connection.QuerySingleAsync<WorkOrderRow>(new CommandDefinition(
            "SELECT * FROM work_orders WHERE id = @orderId", new { orderId }, transaction, cancellationToken: cancellationToken));
        var type = EventType(action);
        var payload = JsonSerializer.Serialize(
            new WorkOrderWebhookEvent(EventId(eventId), type, eventId, UnixTime.FromMs(at), action, actor, detail, WorkOrderView.From(order)), JsonSerializerOptions.Web);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO work_order_webhooks (event_id, order_id, event_type, payload, state, attempts, next_attempt_at, created_at)
            VALUES (@eventId, @orderId, @type, @payload, @state, 0, @at, @at)
            """,
            new { eventId, orderId, type, payload, state = Queued, at }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary><c>sha256=</c> + lowercase hex of HMAC-SHA256(secret, "{timestamp}.{body}"): what a receiver recomputes.</summary>
    public static string Signature(string secret, long timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{timestamp}.{body}")));
        return "sha256=" + Convert.ToHexStringLower(mac);
    }
}

using System.Data.Common;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// Appends to a work order's timeline — the one way every change (opened, recurred, assigned, started, resolved,
/// closed, note, SLA breach, fault cleared) is recorded — and, when the webhook is configured, queues the change for it
/// in the same transaction (<see cref="WorkOrderWebhookStore"/>), so a rolled-back change is never announced and a
/// committed one always is.
/// </summary>
public sealed class WorkOrderTimeline(WorkOrderOptions options)
{
    /// <summary>Appends one entry; returns its id (the webhook's event sequence).</summary>
    public async Task<long> AppendAsync(
        DbConnection connection, DbTransaction transaction, long orderId, long at, string action, string actor, string? detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var id = await WorkOrderStore.AppendEventAsync(connection, transaction, orderId, at, action, actor, detail, cancellationToken);
        if (options.Webhook.Enabled)
        {
            await WorkOrderWebhookStore.EnqueueAsync(connection, transaction, id, orderId, at, action, actor, detail, cancellationToken);
        }

        return id;
    }
}

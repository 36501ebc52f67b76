using System.Data.Common;
using Dapper;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// Marks work orders whose response deadline passed with nobody on it (starting work counts as responding) or whose
/// resolution deadline passed unresolved. Each breach is recorded once, by whichever instance wins the guarded update,
/// on the order's timeline and as an alert of rule <see cref="BreachRule"/> that notifies like any other.
/// </summary>
public sealed partial class SlaMonitor(
    CloudDatabase database, WorkOrderOptions options, WorkOrderTimeline timeline, IEnumerable<IAlertNotifier> notifiers, TimeProvider time, ILogger<SlaMonitor> logger) : BackgroundService
{
    public const string BreachRule = "workorder.sla-breach";

    private readonly IAlertNotifier[] _notifiers = [.. notifiers];

    /// <summary>Records every breach due now; returns how many were recorded.</summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ms = now.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        var due = (await connection.QueryAsync<WorkOrderRow>(new CommandDefinition(
            """
            SELECT * FROM work_orders WHERE resolved_at IS NULL AND closed_at IS NULL AND (
                (respond_breached_at IS NULL AND responded_at IS NULL AND respond_by <= @ms) OR (resolve_breached_at IS NULL AND resolve_by <= @ms))
            """, new { ms }, cancellationToken: cancellationToken))).ToList();
        var recorded = 0;
        foreach (var order in due)
        {
            foreach (var breach in WorkOrderSla.DueBreaches(order.Clock, now))
            {
                recorded += await BreachAsync(connection, order, breach, now, cancellationToken);
            }
        }

        return recorded;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SlaInterval, time);
        do
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception error) when (error is DbException or TimeoutException)
            {
                LogCheckFailed(logger, error);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<int> BreachAsync(DbConnection connection, WorkOrderRow order, SlaBreach breach, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ms = now.ToUnixTimeMilliseconds();
        var (column, guard) = breach.Deadline == WorkOrderSla.Respond
            ? ("respond_breached_at", "responded_at IS NULL")
            : ("resolve_breached_at", "resolved_at IS NULL");
        await using var transaction = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE work_orders SET {column} = @ms, updated_at = @ms WHERE id = @Id AND {column} IS NULL AND {guard} AND closed_at IS NULL",
            new { ms, order.Id }, transaction, cancellationToken: cancellationToken));
        if (changed == 0)
        {
            return 0; // another instance recorded it, or the order moved on meanwhile
        }

        var detail = WorkOrderSla.BreachDetail(order.Id, breach, order.Title);
        await timeline.AppendAsync(connection, transaction, order.Id, ms, "sla-breached", "system", detail, cancellationToken);
        await RaiseAlertAsync(connection, transaction, order, detail, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogBreached(logger, order.Id, breach.Deadline, order.Site, order.Device);
        return 1;
    }

    /// <summary>One open breach alert per device (the alerts_one_open index); a second breach while it is open adds to its trail.</summary>
    private async Task RaiseAlertAsync(DbConnection connection, DbTransaction transaction, WorkOrderRow order, string detail, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ms = now.ToUnixTimeMilliseconds();
        const string Title = "工单超时 Work order past its deadline";
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            """
            INSERT INTO alerts (site, gateway, device, kind, building, rule_id, severity, state, title, detail, opened_at, fired_at, updated_at)
            VALUES (@Site, COALESCE((SELECT gateway FROM devices WHERE site = @Site AND device = @Device), ''), @Device, @Kind, @Building,
                @rule, @Severity, 'firing', @title, @detail, @ms, @ms, @ms)
            ON CONFLICT (site, device, rule_id) WHERE state <> 'resolved' DO NOTHING
            RETURNING id
            """,
            new { order.Site, order.Device, order.Kind, order.Building, rule = BreachRule, order.Severity, title = Title, detail, ms },
            transaction, cancellationToken: cancellationToken));
        if (id is not { } alertId)
        {
            var open = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT id FROM alerts WHERE site = @Site AND device = @Device AND rule_id = @rule AND state <> 'resolved'",
                new { order.Site, order.Device, rule = BreachRule }, transaction, cancellationToken: cancellationToken));
            await AlertEngine.AuditAsync(connection, transaction, open, ms, "recurred", detail, cancellationToken);
            return;
        }

        await AlertEngine.AuditAsync(connection, transaction, alertId, ms, "fired", detail, cancellationToken);
        var notice = new AlertNotice(alertId, order.Site, order.Building, order.Device, order.Kind, BreachRule, order.Severity, "firing", Title, detail, null, now);
        foreach (var notifier in _notifiers)
        {
            await notifier.EnqueueAsync(notice, connection, transaction, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Work order {Id} breached its {Deadline} deadline ({Site}/{Device})")]
    private static partial void LogBreached(ILogger logger, long id, string deadline, string site, string device);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Work-order SLA check failed; trying again at the next tick")]
    private static partial void LogCheckFailed(ILogger logger, Exception error);
}

using System.Data.Common;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Devices;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// Marks work orders whose response deadline passed with nobody on it (starting work counts as responding) or whose
/// resolution deadline passed unresolved. Each breach is recorded once, by whichever instance wins the guarded update,
/// on the order's timeline and as an alert of rule <see cref="BreachRule"/> that notifies like any other.
/// </summary>
public sealed partial class SlaMonitor(
    CloudDatabase database, WorkOrderOptions options, WorkOrderTimeline timeline, AlertStore alerts, RuleSet rules, TimeProvider time, ILogger<SlaMonitor> logger) : BackgroundService
{
    public const string BreachRule = RaisedRules.WorkOrderBreach;

    /// <summary>Records every breach due now; returns how many were recorded.</summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ms = now.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        var due = await WorkOrderStore.DueBreachesAsync(connection, ms, cancellationToken);
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
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var changed = await WorkOrderStore.MarkBreachedAsync(connection, transaction, order.Id, breach.Deadline == WorkOrderSla.Respond, ms, cancellationToken);
        if (changed == 0)
        {
            return 0; // another instance recorded it, or the order moved on meanwhile
        }

        var detail = WorkOrderSla.BreachDetail(order.Id, breach, order.Title);
        await timeline.AppendAsync(connection, transaction, order.Id, ms, "sla-breached", "system", detail, cancellationToken);
        // One open breach alert per device (the alerts_one_open index); a second breach while it is open adds to its trail.
        // Its title comes from the rule set (workorder.sla-breach, type raised), its severity from the order; a site
        // that switched the rule off keeps the breach on the order's timeline only.
        if (RaisedRules.Resolve(rules, order.Site, BreachRule) is { } rule)
        {
            var gateway = await DeviceStore.GatewayOfAsync(connection, transaction, order.Site, order.Device, cancellationToken);
            await alerts.RaiseAsync(connection, transaction, new AlertSubject(order.Site, gateway, order.Device, order.Kind, order.Building),
                new AlertRule(BreachRule, order.Severity, rule.Title, TimeSpan.Zero), detail, now, cancellationToken);
        }

        await write.CommitAsync(cancellationToken);
        LogBreached(logger, order.Id, breach.Deadline, order.Site, order.Device);
        return 1;
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Work order {Id} breached its {Deadline} deadline ({Site}/{Device})")]
    private static partial void LogBreached(ILogger logger, long id, string deadline, string site, string device);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Work-order SLA check failed; trying again at the next tick")]
    private static partial void LogCheckFailed(ILogger logger, Exception error);
}

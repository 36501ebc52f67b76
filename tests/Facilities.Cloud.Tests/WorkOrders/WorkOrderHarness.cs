using Dapper;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Tests.Alerts;
using Facilities.Cloud.WorkOrders;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.WorkOrders;

/// <summary>One cloud instance (<see cref="AlertHarness"/>) that opens work orders, with the SLA monitor on its clock.</summary>
public sealed class WorkOrderHarness
{
    public const string Assignee = "李明 Li Ming";

    public WorkOrderHarness(CloudDatabase database, ManualClock clock)
    {
        Options = new WorkOrderOptions { Teams = new() { ["elevator"] = new() { [Messages.Site] = Assignee } } };
        Timeline = new WorkOrderTimeline(Options);
        Opener = new WorkOrderOpener(AlertHarness.DefaultRules(), Options, Timeline, NullLogger<WorkOrderOpener>.Instance);
        Alerts = new AlertHarness(database, clock, observers: [Opener]);
        Sla = new SlaMonitor(database, Options, Timeline, Alerts.Store, AlertHarness.DefaultRules(), clock, NullLogger<SlaMonitor>.Instance);
    }

    public WorkOrderOptions Options { get; }

    public WorkOrderTimeline Timeline { get; }

    public WorkOrderOpener Opener { get; }

    public AlertHarness Alerts { get; }

    public SlaMonitor Sla { get; }

    public async Task<List<WorkOrderRow>> OrdersAsync()
    {
        await using var connection = await Alerts.Database.OpenAsync(TestContext.Current.CancellationToken);
        return [.. await connection.QueryAsync<WorkOrderRow>("SELECT * FROM work_orders ORDER BY id")];
    }

    public async Task<List<string>> TimelineAsync(long orderId)
    {
        await using var connection = await Alerts.Database.OpenAsync(TestContext.Current.CancellationToken);
        return [.. await connection.QueryAsync<string>("SELECT action FROM work_order_events WHERE order_id = @orderId ORDER BY at, id", new { orderId })];
    }
}

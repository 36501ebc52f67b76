using System.Data.Common;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// The alert → work-order hop: an observer of alert transitions that turns alerts of rules with a <c>workOrder</c>
/// policy into work orders, in the alert's own transaction. One order is
/// open per device and rule (partial unique index <c>work_orders_one_open</c>, so two instances cannot both open
/// one): a fault that fires again while its order is open is appended to that order's timeline. The fault clearing is
/// recorded, but the order stays open until a person resolves and closes it.
/// </summary>
public sealed partial class WorkOrderOpener(RuleSet rules, WorkOrderOptions options, WorkOrderTimeline timeline, ILogger<WorkOrderOpener> logger) : IAlertTransitionObserver
{
    public async Task OnTransitionAsync(AlertNotice notice, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        ArgumentNullException.ThrowIfNull(connection);
        if (rules.Find(notice.Site, notice.RuleId)?.WorkOrder is not { } policy)
        {
            return;
        }

        var now = notice.At.ToUnixTimeMilliseconds();
        if (notice.State == AlertStates.Firing)
        {
            await OpenOrRecurAsync(notice, policy, connection, transaction, now, cancellationToken);
            return;
        }

        var open = await WorkOrderStore.OpenForRuleAsync(connection, transaction, notice.Site, notice.Device, notice.RuleId, cancellationToken);
        if (open is null)
        {
            return;
        }

        var (action, actor, detail) = notice.State == AlertStates.Resolved
            ? ("fault-cleared", "system", $"alert {notice.AlertId} resolved: {notice.Detail}")
            : ("alert-" + notice.State, notice.AcknowledgedBy ?? "system", $"alert {notice.AlertId} {notice.State}");
        await timeline.AppendAsync(connection, transaction, open.Value, now, action, actor, detail, cancellationToken);
    }

    private async Task OpenOrRecurAsync(AlertNotice notice, WorkOrderPolicy policy, DbConnection connection, DbTransaction transaction, long now, CancellationToken cancellationToken)
    {
        var assignee = WorkOrderRouting.AssigneeFor(options.Teams, policy.Team, notice.Site, notice.Building);
        var id = await WorkOrderStore.OpenForAlertAsync(connection, transaction, new AlertOrder(
            notice.Site, notice.Building, notice.Device, notice.Kind, notice.RuleId, notice.AlertId, notice.Title, notice.Severity,
            WorkOrderLifecycle.Priority(notice.Severity),
            assignee is null ? WorkOrderLifecycle.Open : WorkOrderLifecycle.Assigned,
            policy.Team,
            assignee,
            // An entrapment's response is the crew's arrival, within the site's arrival time (TSG T5002). The
            // elevator's registration and 96333 rescue codes go with the order where it is shown (its attributes).
            WorkOrderSla.Deadline(notice.At, policy.Rescue ? options.Rescue.ArriveWithin(notice.Site, policy.RespondWithin) : policy.RespondWithin)?.ToUnixTimeMilliseconds(),
            WorkOrderSla.Deadline(notice.At, policy.ResolveWithin)?.ToUnixTimeMilliseconds(),
            policy.Rescue ? 1 : 0,
            now), cancellationToken);
        if (id is { } newId)
        {
            await timeline.AppendAsync(connection, transaction, newId, now, "opened", "system", $"alert {notice.AlertId}: {notice.Detail}", cancellationToken);
            if (assignee is not null)
            {
                await timeline.AppendAsync(connection, transaction, newId, now, "assigned", "system", $"team {policy.Team}: {assignee}", cancellationToken);
            }

            LogOpened(logger, newId, notice.RuleId, notice.Site, notice.Device, assignee ?? "(unassigned)");
            return;
        }

        // Another order for this device and rule is open (possibly opened by another instance a moment ago).
        if (await WorkOrderStore.OpenForRuleAsync(connection, transaction, notice.Site, notice.Device, notice.RuleId, cancellationToken) is { } existing)
        {
            await WorkOrderStore.RelinkAlertAsync(connection, transaction, existing, notice.AlertId, now, cancellationToken);
            await timeline.AppendAsync(connection, transaction, existing, now, "recurred", "system", $"alert {notice.AlertId}: {notice.Detail}", cancellationToken);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Work order {Id} opened for {Rule} at {Site}/{Device}, assigned to {Assignee}")]
    private static partial void LogOpened(ILogger logger, long id, string rule, string site, string device, string assignee);
}

using System.Data.Common;
using Dapper;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// The outcome of a person's action on a work order: the order after it, or why not (no such order, its status forbids
/// it, or — <paramref name="Refusal"/> — a rescue step that does not apply to this order).
/// </summary>
internal readonly record struct WorkOrderChange(bool Found, WorkOrderRow? Updated, string? ConflictStatus, string? Refusal = null);

/// <summary>A work order as an alert opens it (columns of <c>work_orders</c>).</summary>
internal sealed record AlertOrder(
    string Site, string Building, string Device, string Kind, string RuleId, long AlertId, string Title, string Severity, string Priority,
    string Status, string? Team, string? Assignee, long? RespondBy, long? ResolveBy, int Rescue, long Now);

/// <summary>
/// The SQL of <c>work_orders</c> and <c>work_order_events</c> for SQLite and PostgreSQL: the API's reads and changes, the
/// orders alerts open, the SLA monitor's deadlines and the preventive schedule's history and orders.
/// </summary>
internal static class WorkOrderStore
{
    /// <summary>Orders by status filter (<c>active</c>, <c>all</c> or one status), newest first.</summary>
    public static async Task<IReadOnlyList<WorkOrderRow>> ListAsync(CloudDatabase database, string status, string? site, int limit, CancellationToken cancellationToken)
    {
        var where = status switch
        {
            "active" => "status NOT IN ('resolved', 'closed')",
            "all" => "1 = 1",
            _ => "status = @status",
        };
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<WorkOrderRow>(new CommandDefinition(
            $"SELECT * FROM work_orders WHERE {where} AND (@site IS NULL OR site = @site) ORDER BY created_at DESC, id DESC LIMIT @limit",
            new { status, site, limit }, cancellationToken: cancellationToken))];
    }

    /// <summary>An order with its timeline, oldest event first; null when there is none.</summary>
    public static async Task<(WorkOrderRow Order, IReadOnlyList<(long At, string Action, string Actor, string? Detail)> Events)?> FindWithEventsAsync(
        CloudDatabase database, long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<WorkOrderRow>(new CommandDefinition(
            "SELECT * FROM work_orders WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var events = await connection.QueryAsync<(long At, string Action, string Actor, string? Detail)>(new CommandDefinition(
            "SELECT at, action, actor, detail FROM work_order_events WHERE order_id = @id ORDER BY at, id", new { id }, cancellationToken: cancellationToken));
        return (row, [.. events]);
    }

    /// <summary>
    /// Applies a person's action in one transaction: the status change (guarded by the status read, so a concurrent
    /// change makes this one a conflict) and its timeline entry.
    /// </summary>
    public static async Task<WorkOrderChange> ChangeAsync(
        CloudDatabase database, WorkOrderTimeline timeline, long id, string action, string? assignee, string? detail, string by, long now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var row = await connection.QuerySingleOrDefaultAsync<WorkOrderRow>(new CommandDefinition(
            "SELECT * FROM work_orders WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return new WorkOrderChange(false, null, null);
        }

        if (WorkOrderLifecycle.Plan(action, row.Status) is not { } plan)
        {
            return new WorkOrderChange(true, null, row.Status);
        }

        if (EntrapmentRescue.IsStep(action)
            && EntrapmentRescue.Refusal(action, row.Rescue != 0, UnixTime.FromMs(row.ArrivedAt), UnixTime.FromMs(row.ReleasedAt)) is { } refusal)
        {
            return new WorkOrderChange(true, null, row.Status, refusal);
        }

        var set = action switch
        {
            "assign" => "status = @to, assignee = @assignee",
            "start" when !EntrapmentRescue.StartResponds(row.Rescue != 0) => "status = @to",
            "start" => "status = @to, responded_at = COALESCE(responded_at, @now)",
            EntrapmentRescue.Arrive => "status = @to, arrived_at = @now, responded_at = COALESCE(responded_at, @now)",
            EntrapmentRescue.Release => "status = @to, released_at = @now",
            "resolve" => "status = @to, resolved_at = @now, responded_at = COALESCE(responded_at, @now)",
            "close" => "status = @to, closed_at = @now",
            _ => "status = @to",
        };
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE work_orders SET {set}, updated_at = @now WHERE id = @id AND status = @expected",
            new { id, to = plan.To, assignee, now, expected = row.Status }, transaction, cancellationToken: cancellationToken));
        if (changed == 0)
        {
            return new WorkOrderChange(true, null, "changed by someone else meanwhile");
        }

        var entry = action switch
        {
            "note" => "note",
            EntrapmentRescue.Arrive => EntrapmentRescue.Arrived,
            EntrapmentRescue.Release => EntrapmentRescue.PassengerReleased,
            _ => plan.To,
        };
        await timeline.AppendAsync(connection, transaction, id, now, entry, by, detail, cancellationToken);
        var updated = await connection.QuerySingleAsync<WorkOrderRow>(new CommandDefinition(
            "SELECT * FROM work_orders WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        await write.CommitAsync(cancellationToken);
        return new WorkOrderChange(true, updated, null);
    }

    /// <summary>Opens the order of an alert unless one is open for its device and rule; returns the new order's id, or null.</summary>
    public static Task<long?> OpenForAlertAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, AlertOrder order, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            """
            INSERT INTO work_orders (site, building, device, kind, rule_id, alert_id, title, severity, priority, status, team, assignee,
                respond_by, resolve_by, rescue, created_at, updated_at)
            VALUES (@Site, @Building, @Device, @Kind, @RuleId, @AlertId, @Title, @Severity, @Priority, @Status, @Team, @Assignee,
                @RespondBy, @ResolveBy, @Rescue, @Now, @Now)
            ON CONFLICT (site, device, rule_id) WHERE status NOT IN ('resolved', 'closed') AND schedule_key IS NULL DO NOTHING
            RETURNING id
            """,
            order, transaction, cancellationToken: cancellationToken));

    /// <summary>The open (not scheduled) order of a device and rule, if any.</summary>
    public static Task<long?> OpenForRuleAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string site, string device, string ruleId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM work_orders WHERE site = @site AND device = @device AND rule_id = @ruleId AND status NOT IN ('resolved', 'closed') AND schedule_key IS NULL",
            new { site, device, ruleId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Points an open order at the alert that recurred on it.</summary>
    public static Task RelinkAlertAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, long orderId, long alertId, long now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE work_orders SET alert_id = @alertId, updated_at = @now WHERE id = @orderId",
            new { alertId, now, orderId }, transaction, cancellationToken: cancellationToken));

    /// <summary>One entry of an order's timeline; returns its id (the webhook's event sequence).</summary>
    public static Task<long> AppendEventAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, long orderId, long at, string action, string actor, string? detail, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO work_order_events (order_id, at, action, actor, detail) VALUES (@orderId, @at, @action, @actor, @detail) RETURNING id",
            new { orderId, at, action, actor, detail }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Open orders with a deadline passed at <paramref name="nowMs"/> and not recorded as breached yet (the SLA monitor's
    /// due work): read through <c>work_orders_open_deadlines</c>, so the open orders only, not every order ever written.
    /// </summary>
    public static async Task<IReadOnlyList<WorkOrderRow>> DueBreachesAsync(System.Data.Common.DbConnection connection, long nowMs, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<WorkOrderRow>(new CommandDefinition(
            """
            SELECT * FROM work_orders WHERE resolved_at IS NULL AND closed_at IS NULL AND (
                (respond_breached_at IS NULL AND responded_at IS NULL AND respond_by <= @nowMs) OR (resolve_breached_at IS NULL AND resolve_by <= @nowMs))
            """, new { nowMs }, cancellationToken: cancellationToken))];

    /// <summary>
    /// Records that order <paramref name="id"/> breached its respond (or resolve) deadline, if it still stands: 0 when another
    /// instance recorded it first or the order was responded to, resolved or closed meanwhile.
    /// </summary>
    public static Task<int> MarkBreachedAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, long id, bool respond, long nowMs, CancellationToken cancellationToken)
    {
        var (column, guard) = respond ? ("respond_breached_at", "responded_at IS NULL") : ("resolve_breached_at", "resolved_at IS NULL");
        return connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE work_orders SET {column} = @nowMs, updated_at = @nowMs WHERE id = @id AND {column} IS NULL AND {guard} AND closed_at IS NULL",
            new { nowMs, id }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The preventive history of the devices of <paramref name="kind"/> with a key from (<paramref name="fromSite"/>,
    /// <paramref name="fromDevice"/>) to (<paramref name="toSite"/>, <paramref name="toDevice"/>): per device, when each of
    /// its preventive rules was last resolved, and when its first preventive order was opened.
    /// </summary>
    public static async Task<(ILookup<(string Site, string Device), (string RuleId, DateTimeOffset Resolved)> Done, Dictionary<(string Site, string Device), DateTimeOffset> First)> PreventiveHistoryAsync(
        DbConnection connection, string kind, string fromSite, string fromDevice, string toSite, string toDevice, CancellationToken cancellationToken)
    {
        var range = new { kind, fromSite, fromDevice, toSite, toDevice };
        var done = (await connection.QueryAsync<(string Site, string Device, string RuleId, long At)>(new CommandDefinition(
            $"""
            SELECT site, device, rule_id, MAX(resolved_at) FROM work_orders
            WHERE kind = @kind AND schedule_key IS NOT NULL AND resolved_at IS NOT NULL AND {KeyRange} GROUP BY site, device, rule_id
            """, range, cancellationToken: cancellationToken)))
            .ToLookup(d => (d.Site, d.Device), d => (d.RuleId, DateTimeOffset.FromUnixTimeMilliseconds(d.At)));
        var first = (await connection.QueryAsync<(string Site, string Device, long At)>(new CommandDefinition(
            $"SELECT site, device, MIN(created_at) FROM work_orders WHERE kind = @kind AND schedule_key IS NOT NULL AND {KeyRange} GROUP BY site, device",
            range, cancellationToken: cancellationToken))).ToDictionary(s => (s.Site, s.Device), s => DateTimeOffset.FromUnixTimeMilliseconds(s.At));
        return (done, first);
    }

    /// <summary>
    /// The schedule keys of the preventive orders opened since <paramref name="since"/> for devices with a key from
    /// (<paramref name="fromSite"/>, <paramref name="fromDevice"/>) to (<paramref name="toSite"/>, <paramref name="toDevice"/>).
    /// </summary>
    public static async Task<HashSet<(string Site, string Device, string Key)>> ScheduledAsync(
        DbConnection connection, DateTimeOffset since, string fromSite, string fromDevice, string toSite, string toDevice, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<(string Site, string Device, string Key)>(new CommandDefinition(
            $"SELECT site, device, schedule_key FROM work_orders WHERE schedule_key IS NOT NULL AND created_at >= @since AND {KeyRange}",
            new { since = since.ToUnixTimeMilliseconds(), fromSite, fromDevice, toSite, toDevice }, cancellationToken: cancellationToken))).ToHashSet();

    /// <summary>
    /// Opens a preventive order unless its device already has one with its schedule key (the unique index
    /// <c>work_orders_scheduled</c>): returns the new order's id, or null when another instance opened it.
    /// </summary>
    public static Task<long?> OpenScheduledAsync(DbConnection connection, DbTransaction transaction, ScheduledOrder order, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            """
            INSERT INTO work_orders (site, building, device, kind, rule_id, alert_id, title, severity, priority, status, team, assignee,
                respond_by, resolve_by, schedule_key, created_at, updated_at)
            VALUES (@Site, @Building, @Device, @Kind, @RuleId, NULL, @Title, @Severity, @Priority, @Status, @Team, @Assignee,
                NULL, @ResolveBy, @ScheduleKey, @Now, @Now)
            ON CONFLICT (site, device, schedule_key) DO NOTHING
            RETURNING id
            """,
            order, transaction, cancellationToken: cancellationToken));

    /// <summary>Devices whose (site, device) lies between two keys, both included: one page of the fleet.</summary>
    private const string KeyRange = "(site, device) >= (@fromSite, @fromDevice) AND (site, device) <= (@toSite, @toDevice)";
}

/// <summary>A preventive work order as the schedule opens it (columns of <c>work_orders</c>).</summary>
internal sealed record ScheduledOrder(
    string Site, string Building, string Device, string Kind, string RuleId, string Title, string Severity, string Priority,
    string Status, string Team, string? Assignee, long ResolveBy, string ScheduleKey, long Now);

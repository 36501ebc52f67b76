using System.Data.Common;
using Dapper;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Alerts;

/// <summary>Who an alert is about. A null <see cref="Gateway"/> (a device the registry does not know) is stored as none.</summary>
public sealed record AlertSubject(string Site, string? Gateway, string Device, string Kind, string Building);

/// <summary>
/// The alerts' SQL (tables <c>alerts</c> and <c>alert_events</c>, SQLite and PostgreSQL) and the one writer of alert
/// transitions, <see cref="ApplyAsync"/>: the engine, the API and the SLA monitor all move alerts through it, so every
/// transition is decided by <see cref="AlertLifecycle"/>, written with its audit row, and announced to the
/// <see cref="IAlertTransitionObserver"/>s in the same transaction. It reads and writes the alert tables only: what the
/// engine evaluates rules on (devices, gateways, values) is the <c>DeviceStore</c>'s.
/// </summary>
public sealed partial class AlertStore(CloudDatabase database, AlertLifecycle lifecycle, IEnumerable<IAlertTransitionObserver> observers, ILogger<AlertStore> logger)
{
    private readonly IAlertTransitionObserver[] _observers = [.. observers];

    public AlertLifecycle Lifecycle { get; } = lifecycle;

    /// <summary>
    /// Moves the alert of <paramref name="subject"/> and <paramref name="rule"/> (<paramref name="current"/>, as read in this
    /// transaction; null when none is open) by <paramref name="fact"/>; writes the change, its audit rows and the notices of
    /// its events. Every change is guarded: when another instance made it first (0 rows), nothing is audited or announced
    /// a second time. Returns the transition (its <see cref="AlertTransition.Next"/> carries the stored id).
    /// </summary>
    public async Task<AlertTransition> ApplyAsync(
        DbConnection connection, DbTransaction transaction, AlertSubject subject, AlertRule rule, Alert? current, AlertFact fact, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(rule);
        var firings = AlertLifecycle.NeedsRecentFirings(fact, current)
            ? await RecentFiringsAsync(connection, transaction, subject, rule.Id, now, cancellationToken)
            : 0;
        var transition = Lifecycle.Next(fact, rule, current, now, firings);
        var next = transition.Next;
        var ms = now.ToUnixTimeMilliseconds();
        switch (transition.Change)
        {
            case AlertChange.None or AlertChange.Refused:
                return transition;
            case AlertChange.Opened:
                var id = await InsertAsync(connection, transaction, subject, rule, next!, ms, cancellationToken);
                if (id is null)
                {
                    // Another instance opened one a moment ago. A condition raised on its own is noted on that alert's trail.
                    if (fact is ConditionRaised && await OpenAlertAsync(connection, transaction, subject.Site, subject.Device, rule.Id, cancellationToken) is { } theirs)
                    {
                        return await ApplyAsync(connection, transaction, subject, rule, theirs, fact, now, cancellationToken);
                    }

                    return transition;
                }

                transition = transition with { Next = next = next! with { Id = id.Value } };
                break;
            case AlertChange.Fired:
                if (await UpdateAsync(connection, transaction, next!.Id, $"state = '{AlertStates.Firing}', fired_at = @now, detail = @Detail, value = @Value, suppressed = @Suppressed",
                    $"state = '{AlertStates.Pending}'", new { now = ms, next.Detail, next.Value, next.Suppressed }, cancellationToken) == 0)
                {
                    return transition; // another instance fired it a moment ago
                }

                break;
            case AlertChange.Recurred:
                // Audited even when another instance recorded the same recurrence: each saw the condition come back.
                await UpdateAsync(connection, transaction, next!.Id, "clear_since = NULL, occurrences = occurrences + 1, detail = @Detail, value = @Value",
                    "clear_since IS NOT NULL", new { now = ms, next.Detail, next.Value }, cancellationToken);
                break;
            case AlertChange.StartedFlapping:
                await UpdateAsync(connection, transaction, next!.Id, "flapping = 1, clear_since = @now", "flapping = 0", new { now = ms }, cancellationToken);
                break;
            case AlertChange.HoldStarted:
                await UpdateAsync(connection, transaction, next!.Id, "clear_since = @now", "clear_since IS NULL", new { now = ms }, cancellationToken);
                break;
            case AlertChange.Discarded:
                // Cleared before its time was up: it never fired and notified nobody, so it leaves no alert behind.
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM alert_events WHERE alert_id = @Id", new { current!.Id }, transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM alerts WHERE id = @Id AND state = '{AlertStates.Pending}'", new { current.Id }, transaction, cancellationToken: cancellationToken));
                break;
            case AlertChange.Acknowledged:
                if (await UpdateAsync(connection, transaction, next!.Id, $"state = '{AlertStates.Acknowledged}', acknowledged_at = @now, acknowledged_by = @by",
                    $"state = '{AlertStates.Firing}'", new { now = ms, by = next.AcknowledgedBy }, cancellationToken) == 0)
                {
                    return transition;
                }

                break;
            case AlertChange.Resolved:
                if (await UpdateAsync(connection, transaction, next!.Id, $"state = '{AlertStates.Resolved}', resolved_at = @now, resolved_by = @by",
                    $"state <> '{AlertStates.Resolved}'", new { now = ms, by = next.ResolvedBy }, cancellationToken) == 0)
                {
                    return transition;
                }

                break;
            case AlertChange.Noted:
                break;
            default:
                throw new InvalidOperationException($"no way to store {transition.Change}");
        }

        foreach (var @event in transition.Events)
        {
            await AuditAsync(connection, transaction, next!.Id, ms, @event.ActionName, @event.Detail, @event.Actor, cancellationToken);
            if (@event.Action == AlertAction.Fired)
            {
                LogFired(logger, rule.Id, subject.Site, subject.Device, @event.Detail ?? "");
            }
            else if (@event is { Action: AlertAction.Resolved, Actor: "system" })
            {
                LogResolved(logger, rule.Id, subject.Site, subject.Device);
            }

            if (@event.Notice is { } announced)
            {
                var notice = new AlertNotice(next!.Id, subject.Site, subject.Building, subject.Device, subject.Kind, rule.Id, rule.Severity, announced.State.Name(), rule.Title,
                    announced.Detail, announced.Value, now, announced.By);
                foreach (var observer in _observers)
                {
                    await observer.OnTransitionAsync(notice, connection, transaction, cancellationToken);
                }
            }
        }

        return transition;
    }

    /// <summary>A person acknowledges or resolves alert <paramref name="id"/>, in a transaction of its own. Null when there is no such alert.</summary>
    public async Task<(AlertRow Row, AlertTransition Transition)?> ActAsync(long id, AlertFact fact, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var row = await connection.QuerySingleOrDefaultAsync<AlertRow>(new CommandDefinition(
            $"SELECT * FROM alerts WHERE id = @id{database.Dialect.ForUpdate}", new { id }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var transition = await ApplyAsync(connection, transaction, new AlertSubject(row.Site, row.Gateway, row.Device, row.Kind, row.Building),
            new AlertRule(row.RuleId, row.Severity, row.Title, TimeSpan.Zero), row.ToAlert(), fact, now, cancellationToken);
        await write.CommitAsync(cancellationToken);
        return (row, transition);
    }

    /// <summary>
    /// Fires an alert the cloud raises itself (a work order past its deadline) for <paramref name="subject"/>, or notes it on
    /// the trail of the one open (one open alert per device and rule: the <c>alerts_one_open</c> index).
    /// </summary>
    public async Task<AlertTransition> RaiseAsync(
        DbConnection connection, DbTransaction transaction, AlertSubject subject, AlertRule rule, string detail, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(rule);
        var open = await OpenAlertAsync(connection, transaction, subject.Site, subject.Device, rule.Id, cancellationToken);
        return await ApplyAsync(connection, transaction, subject, rule, open, new ConditionRaised(detail), now, cancellationToken);
    }

    /// <summary>The open alerts of <paramref name="devices"/> at <paramref name="site"/>, by device and rule, in one query (every device has an entry).</summary>
    public static async Task<Dictionary<string, Dictionary<string, Alert>>> OpenAlertsAsync(
        DbConnection connection, DbTransaction transaction, string site, IReadOnlyList<string> devices, CancellationToken cancellationToken)
    {
        var open = devices.ToDictionary(d => d, _ => new Dictionary<string, Alert>(StringComparer.Ordinal), StringComparer.Ordinal);
        var parameters = new DynamicParameters(new { site });
        foreach (var alert in await connection.QueryAsync<OpenAlertRow>(new CommandDefinition(
            $"SELECT {OpenColumns} FROM alerts WHERE site = @site AND device IN {SqlList.Add(parameters, "d", devices)} AND state <> '{AlertStates.Resolved}'",
            parameters, transaction, cancellationToken: cancellationToken)))
        {
            open[alert.Device][alert.RuleId] = alert.ToAlert();
        }

        return open;
    }

    /// <summary>The open alerts of one device (or gateway subject) by rule.</summary>
    public static async Task<Dictionary<string, Alert>> OpenAlertsAsync(DbConnection connection, DbTransaction transaction, string site, string device, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<OpenAlertRow>(new CommandDefinition(
            $"SELECT {OpenColumns} FROM alerts WHERE site = @site AND device = @device AND state <> '{AlertStates.Resolved}'",
            new { site, device }, transaction, cancellationToken: cancellationToken)))
        .ToDictionary(a => a.RuleId, a => a.ToAlert(), StringComparer.Ordinal);

    private static async Task<Alert?> OpenAlertAsync(DbConnection connection, DbTransaction transaction, string site, string device, string ruleId, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<OpenAlertRow>(new CommandDefinition(
            $"SELECT {OpenColumns} FROM alerts WHERE site = @site AND device = @device AND rule_id = @ruleId AND state <> '{AlertStates.Resolved}'",
            new { site, device, ruleId }, transaction, cancellationToken: cancellationToken)))?.ToAlert();

    private const string OpenColumns = "id, device, rule_id, state, opened_at, fired_at, clear_since, occurrences, flapping, detail, value, suppressed";

    /// <summary>Alerts in <paramref name="state"/> (a state name, <c>open</c> for every state but resolved, or <c>all</c>), newest first.</summary>
    public async Task<IReadOnlyList<AlertRow>> ListAsync(string state, string? site, int limit, CancellationToken cancellationToken)
    {
        var where = state switch
        {
            "open" => $"state <> '{AlertStates.Resolved}'",
            "all" => "1 = 1",
            _ => "state = @state",
        };
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<AlertRow>(new CommandDefinition(
            $"SELECT * FROM alerts WHERE {where} AND (@site IS NULL OR site = @site) ORDER BY opened_at DESC LIMIT @limit",
            new { state, site, limit }, cancellationToken: cancellationToken))];
    }

    /// <summary>One alert with its audit trail in order; null when there is no such alert.</summary>
    public async Task<(AlertRow Alert, IReadOnlyList<AlertEventRow> Timeline)?> FindAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<AlertRow>(new CommandDefinition("SELECT * FROM alerts WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var events = await connection.QueryAsync<AlertEventRow>(new CommandDefinition(
            "SELECT at, action, actor, detail FROM alert_events WHERE alert_id = @id ORDER BY at, id", new { id }, cancellationToken: cancellationToken));
        return (row, [.. events]);
    }

    /// <summary>
    /// When each device of <paramref name="kind"/> with a key from (<paramref name="fromSite"/>, <paramref name="fromDevice"/>)
    /// to (<paramref name="toSite"/>, <paramref name="toDevice"/>) last had a critical alert fire (suppressed ones not counted).
    /// </summary>
    public static async Task<Dictionary<(string Site, string Device), DateTimeOffset>> LastCriticalFiringsAsync(
        DbConnection connection, string kind, string fromSite, string fromDevice, string toSite, string toDevice, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<(string Site, string Device, long At)>(new CommandDefinition(
            """
            SELECT site, device, MAX(fired_at) FROM alerts
            WHERE kind = @kind AND severity = 'critical' AND fired_at IS NOT NULL AND suppressed IS NULL
              AND (site, device) >= (@fromSite, @fromDevice) AND (site, device) <= (@toSite, @toDevice)
            GROUP BY site, device
            """,
            new { kind, fromSite, fromDevice, toSite, toDevice }, cancellationToken: cancellationToken)))
        .ToDictionary(f => (f.Site, f.Device), f => DateTimeOffset.FromUnixTimeMilliseconds(f.At));

    private Task<int> RecentFiringsAsync(DbConnection connection, DbTransaction transaction, AlertSubject subject, string ruleId, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM alerts WHERE site = @Site AND device = @Device AND rule_id = @ruleId AND fired_at >= @since",
            new { subject.Site, subject.Device, ruleId, since = (now - Lifecycle.Flap.Window).ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));

    private static Task<long?> InsertAsync(DbConnection connection, DbTransaction transaction, AlertSubject subject, AlertRule rule, Alert alert, long now, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            $"""
            INSERT INTO alerts (site, gateway, device, kind, building, rule_id, severity, state, title, detail, value, opened_at, fired_at, suppressed, updated_at)
            VALUES (@Site, COALESCE(@Gateway, ''), @Device, @Kind, @Building,
                @ruleId, @severity, @state, @title, @Detail, @Value, @now, @firedAt, @Suppressed, @now)
            ON CONFLICT (site, device, rule_id) WHERE state <> '{AlertStates.Resolved}' DO NOTHING
            RETURNING id
            """,
            new
            {
                subject.Site, subject.Gateway, subject.Device, subject.Kind, subject.Building, ruleId = rule.Id, severity = rule.Severity, state = alert.State.Name(),
                title = rule.Title, alert.Detail, alert.Value, now, firedAt = alert.FiredAt?.ToUnixTimeMilliseconds(), alert.Suppressed,
            },
            transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Changes an alert if it is still in the state <paramref name="guard"/> describes; 0 rows means another instance
    /// changed it first (PostgreSQL re-checks the condition after waiting for the other transaction), so the caller
    /// neither audits nor notifies a second time. <paramref name="values"/> must carry <c>now</c>.
    /// </summary>
    private static Task<int> UpdateAsync(DbConnection connection, DbTransaction transaction, long id, string set, string guard, object values, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(values);
        parameters.Add("alertId", id);
        return connection.ExecuteAsync(new CommandDefinition($"UPDATE alerts SET {set}, updated_at = @now WHERE id = @alertId AND {guard}",
            parameters, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Appends to an alert's audit trail.</summary>
    private static Task<int> AuditAsync(DbConnection connection, DbTransaction transaction, long alertId, long at, string action, string? detail, string actor, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO alert_events (alert_id, at, action, actor, detail) VALUES (@alertId, @at, @action, @actor, @detail)",
            new { alertId, at, action, actor, detail }, transaction, cancellationToken: cancellationToken));

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Alert {Rule} fired for {Site}/{Device}: {Detail}")]
    private static partial void LogFired(ILogger logger, string rule, string site, string device, string detail);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Alert {Rule} resolved for {Site}/{Device}")]
    private static partial void LogResolved(ILogger logger, string rule, string site, string device);

    /// <summary>An open alert as the engine reads it.</summary>
    private sealed class OpenAlertRow
    {
        public long Id { get; set; }

        public string Device { get; set; } = "";

        public string RuleId { get; set; } = "";

        public string State { get; set; } = "";

        public long OpenedAt { get; set; }

        public long? FiredAt { get; set; }

        public long? ClearSince { get; set; }

        public int Occurrences { get; set; }

        public int Flapping { get; set; }

        public string? Detail { get; set; }

        public double? Value { get; set; }

        public string? Suppressed { get; set; }

        public Alert ToAlert() => new(Id, AlertStates.Parse(State) ?? throw new InvalidOperationException($"alert {Id} has an unknown state '{State}'"),
            UnixTime.FromMs(OpenedAt), UnixTime.FromMs(FiredAt), UnixTime.FromMs(ClearSince), Flapping != 0, Occurrences, Detail, Value, Suppressed);
    }
}

/// <summary>One row of <c>alert_events</c>.</summary>
public sealed record AlertEventRow(long At, string Action, string Actor, string? Detail);

/// <summary>A row of the alerts table.</summary>
public sealed record AlertRow
{
    public long Id { get; init; }

    public string Site { get; init; } = "";

    public string Gateway { get; init; } = "";

    public string Device { get; init; } = "";

    public string Kind { get; init; } = "";

    public string Building { get; init; } = "";

    public string RuleId { get; init; } = "";

    public string Severity { get; init; } = "";

    public string State { get; init; } = "";

    public string Title { get; init; } = "";

    public string? Detail { get; init; }

    public double? Value { get; init; }

    public long OpenedAt { get; init; }

    public long? FiredAt { get; init; }

    public long? ClearSince { get; init; }

    public long? AcknowledgedAt { get; init; }

    public string? AcknowledgedBy { get; init; }

    public long? ResolvedAt { get; init; }

    public string? ResolvedBy { get; init; }

    public int Occurrences { get; init; }

    public int Flapping { get; init; }

    public string? Suppressed { get; init; }

    public Alert ToAlert() => new(Id, AlertStates.Parse(State) ?? throw new InvalidOperationException($"alert {Id} has an unknown state '{State}'"),
        UnixTime.FromMs(OpenedAt), UnixTime.FromMs(FiredAt), UnixTime.FromMs(ClearSince), Flapping != 0, Occurrences, Detail, Value, Suppressed,
        UnixTime.FromMs(AcknowledgedAt), AcknowledgedBy, UnixTime.FromMs(ResolvedAt), ResolvedBy);
}

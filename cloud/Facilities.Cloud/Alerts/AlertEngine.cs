using System.Data.Common;
using Dapper;
using Facilities.Cloud.Devices;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Rules;
using Facilities.Cloud.Storage;
using Facilities.Telemetry;

namespace Facilities.Cloud.Alerts;

/// <summary>An alert row as the engine reads it.</summary>
internal sealed class OpenAlertRow
{
    public long Id { get; set; }

    public string Device { get; set; } = "";

    public string RuleId { get; set; } = "";

    public string State { get; set; } = "";

    public long OpenedAt { get; set; }

    public long? ClearSince { get; set; }

    public int Flapping { get; set; }

    public string? Suppressed { get; set; }
}

/// <summary>
/// Turns rule verdicts into the alert lifecycle: pending → firing → acknowledged → resolved. It runs in the ingestion
/// transaction for the device a message is about, and on a timer (<see cref="AlertSweeper"/>) for every device, so
/// "for" durations, silence and expiry dates fire without new messages. At most one alert is open per device and rule:
/// the partial unique index <c>alerts_one_open</c> guarantees it even when two cloud instances race.
/// <list type="bullet">
/// <item>A condition that must hold "for" a while opens a pending alert that notifies nobody; it fires once the time
/// has passed and is deleted if the condition clears first.</item>
/// <item>An alert that fired <see cref="RulesOptions.FlapCount"/> times within <see cref="RulesOptions.FlapWindow"/>
/// is flapping: instead of resolving and firing again it stays open until its condition stayed clear for
/// <see cref="RulesOptions.FlapHold"/>.</item>
/// <item>Suppressed alerts (elevator in inspection, a maintenance window) are recorded with the reason but notify nobody.</item>
/// <item>While a gateway is offline, its devices' offline and silence rules are not evaluated: one "gateway offline"
/// alert stands for them all.</item>
/// </list>
/// </summary>
public sealed partial class AlertEngine(
    RuleSet rules,
    RulesOptions options,
    MaintenanceSchedule maintenance,
    IEnumerable<IAlertNotifier> notifiers,
    ILogger<AlertEngine> logger) : IMessageHandler
{
    public const string GatewayOfflineRule = "gateway.offline";

    private readonly IAlertNotifier[] _notifiers = [.. notifiers];

    /// <summary>Reads the open alerts of every device the batch's messages concern, in one query per site.</summary>
    public async ValueTask BeginBatchAsync(IReadOnlyList<Envelope> batch, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        var open = new OpenAlerts();
        context.Keep(open);
        foreach (var site in batch.Where(e => e.Message is not GatewayStatusMessage && e.Device is not null && Concerns(e)).GroupBy(e => e.Site, StringComparer.Ordinal))
        {
            var devices = site.Select(e => e.Device!).Distinct(StringComparer.Ordinal).ToList();
            foreach (var device in devices)
            {
                open.ByDevice[(site.Key, device)] = new Dictionary<string, OpenAlertRow>(StringComparer.Ordinal);
            }

            var parameters = new DynamicParameters(new { site = site.Key });
            foreach (var alert in await context.Connection.QueryAsync<OpenAlertRow>(new CommandDefinition(
                $"SELECT id, device, rule_id, state, opened_at, clear_since, flapping, suppressed FROM alerts WHERE site = @site AND device IN {SqlList.Add(parameters, "d", devices)} AND state <> 'resolved'",
                parameters, context.Transaction, cancellationToken: cancellationToken)))
            {
                open.ByDevice[(site.Key, alert.Device)][alert.RuleId] = alert;
            }
        }
    }

    public async ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(context);
        var now = context.Time.GetUtcNow();
        if (envelope.Message is GatewayStatusMessage)
        {
            await EvaluateGatewayAsync(context.Connection, context.Transaction, envelope.Site, envelope.Gateway, now, cancellationToken);
        }
        else if (envelope.Device is not null && Concerns(envelope))
        {
            if (context.Find<DeviceBatch>() is { } devices && context.Find<OpenAlerts>()?.ByDevice.GetValueOrDefault((envelope.Site, envelope.Device)) is { } open)
            {
                // The batch's view of the device (its messages so far folded in) and of its open alerts: no query unless
                // a verdict changes an alert, and then the device's open alerts are read again.
                if (devices.Facts(envelope.Site, envelope.Device) is { } facts)
                {
                    var gateway = devices.Gateway(envelope.Site, facts.Gateway);
                    if (await EvaluateAsync(context.Connection, context.Transaction, facts, IsGatewayDown(gateway?.State, gateway?.LastSeen, now), open, now, cancellationToken, envelope))
                    {
                        context.Find<OpenAlerts>()!.ByDevice[(envelope.Site, envelope.Device)] =
                            await OpenAlertsAsync(context.Connection, context.Transaction, envelope.Site, envelope.Device, cancellationToken);
                    }
                }
            }
            else
            {
                await EvaluateDeviceAsync(context.Connection, context.Transaction, envelope.Site, envelope.Device, now, cancellationToken);
            }
        }
    }

    /// <summary>The open alerts of a batch's devices by rule, as the batch knows them.</summary>
    private sealed class OpenAlerts
    {
        public Dictionary<(string Site, string Device), Dictionary<string, OpenAlertRow>> ByDevice { get; } = [];
    }

    /// <summary>
    /// Whether a message can change a verdict at once: a link-state change, or a value of a point some rule of the
    /// device's kind looks at. Most readings (an elevator's floor, a port's energy) concern no rule; what they imply
    /// over time (silence ending, a device back online) the sweeper picks up within its interval.
    /// </summary>
    private bool Concerns(Envelope envelope) => envelope.Message switch
    {
        DeviceStateMessage => true,
        EventMessage e => Reading(envelope.Site, e.Kind, e.Point).Length > 0,
        TelemetryMessage t => t.Values.Keys.Any(point => Reading(envelope.Site, t.Kind, point).Length > 0),
        _ => false,
    };

    /// <summary>
    /// The rules a message can change the verdict of: those reading one of its points, and the device-level offline and
    /// silence rules, which any message from the device bears on. A link-state message concerns every rule. Verdicts
    /// that change only with time ("for" durations, silence, expiry dates) are the sweeper's. In the kind's order.
    /// </summary>
    private IEnumerable<RuleDefinition> Affected(Envelope trigger, string kind)
    {
        IEnumerable<string>? points = trigger.Message switch
        {
            EventMessage e => [e.Point],
            TelemetryMessage t => t.Values.Keys,
            _ => null,
        };
        var all = rules.For(trigger.Site, kind);
        if (points is null)
        {
            return all;
        }

        var reading = points.SelectMany(point => Reading(trigger.Site, kind, point)).ToHashSet();
        return all.Where(rule => rule.Type is RuleType.Offline or RuleType.Stale || reading.Contains(rule));
    }

    /// <summary>The rules of a kind that read <paramref name="point"/>: as their point, the point their limit is relative to, or in a "when" or "suppressWhen" condition.</summary>
    private RuleDefinition[] Reading(string site, string kind, string point) => _reading.GetOrAdd((site, kind, point), key =>
    [
        .. rules.For(key.Site, key.Kind).Where(rule => (rule.When ?? []).Concat(rule.SuppressWhen ?? []).Select(c => c.Point).Append(rule.Point).Append(rule.RelativeTo).OfType<string>()
            .Any(p => p.Contains('*', StringComparison.Ordinal) ? RuleEvaluator.PointPattern(p).IsMatch(key.Point) : p == key.Point)),
    ]);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Kind, string Point), RuleDefinition[]> _reading = new();

    /// <summary>Evaluates every rule of one device against what the database knows now.</summary>
    public async Task EvaluateDeviceAsync(DbConnection connection, DbTransaction transaction, string site, string device, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var row = await connection.QuerySingleOrDefaultAsync<DeviceRow>(new CommandDefinition(
            """
            SELECT d.site, d.device, d.gateway, d.kind, d.building, d.state, d.state_reason, d.state_since, d.last_seen, g.state AS gateway_state, g.last_seen AS gateway_last_seen
            FROM devices d LEFT JOIN gateways g ON g.site = d.site AND g.gateway = d.gateway
            WHERE d.site = @site AND d.device = @device
            """, new { site, device }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return;
        }

        var points = (await connection.QueryAsync<PointRow>(new CommandDefinition(
            "SELECT point, value, label, ts, prev_value, prev_ts FROM latest_values WHERE site = @site AND device = @device",
            new { site, device }, transaction, cancellationToken: cancellationToken)))
            .ToDictionary(p => p.Point, p => p.Reading, StringComparer.Ordinal);
        var facts = new DeviceFacts(row.Site, row.Gateway, row.Device, row.Kind, row.Building, row.State != DeviceStateMessage.Offline,
            UnixTime.FromMs(row.StateSince), row.StateReason, UnixTime.FromMs(row.LastSeen), points);
        var open = await OpenAlertsAsync(connection, transaction, site, device, cancellationToken);
        await EvaluateAsync(connection, transaction, facts, IsGatewayDown(row.GatewayState, row.GatewayLastSeen, now), open, now, cancellationToken);
    }

    /// <summary>
    /// Evaluates the rules of the device's kind on <paramref name="facts"/>: every one, or with a <c>trigger</c> (the message that
    /// changed the facts) only those it can affect. True when an alert was written (or another instance's was met).
    /// </summary>
    private async Task<bool> EvaluateAsync(
        DbConnection connection, DbTransaction transaction, DeviceFacts facts, bool gatewayDown, Dictionary<string, OpenAlertRow> open, DateTimeOffset now,
        CancellationToken cancellationToken, Envelope? trigger = null)
    {
        var wrote = false;
        var inMaintenance = maintenance.Covers(facts.Site, facts.Building, facts.Device, now);
        var subject = new Subject(facts.Site, facts.Gateway, facts.Device, facts.Kind, facts.Building);
        foreach (var rule in trigger is null ? rules.For(facts.Site, facts.Kind) : Affected(trigger, facts.Kind))
        {
            if (gatewayDown && rule.Type is RuleType.Offline or RuleType.Stale)
            {
                continue;
            }

            var alert = open.GetValueOrDefault(rule.Id);
            var verdict = RuleEvaluator.Evaluate(rule, facts, alert is { State: "firing" or "acknowledged" }, now);
            if (verdict.Active is null)
            {
                continue;
            }

            if (verdict.Active == true && inMaintenance is not null)
            {
                verdict = verdict with { Suppressed = verdict.Suppressed ?? inMaintenance };
            }

            wrote |= await ApplyAsync(connection, transaction, subject, rule.Id, rule.Severity, rule.Title, rule.For ?? TimeSpan.Zero, alert, verdict, now, cancellationToken);
        }

        return wrote;
    }

    /// <summary>One alert per gateway that went offline (last will, "offline" status or silence), resolved when it is back.</summary>
    public async Task EvaluateGatewayAsync(DbConnection connection, DbTransaction transaction, string site, string gateway, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var row = await connection.QuerySingleOrDefaultAsync<GatewayRow>(new CommandDefinition(
            "SELECT state, state_since, last_seen FROM gateways WHERE site = @site AND gateway = @gateway",
            new { site, gateway }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return;
        }

        var down = IsGatewayDown(row.State, row.LastSeen, now);
        var detail = row.State == "offline"
            ? $"gateway {gateway} offline since {UnixTime.FromMs(row.StateSince):yyyy-MM-dd HH:mm:ss} UTC"
            : $"nothing heard from gateway {gateway} since {UnixTime.FromMs(row.LastSeen):yyyy-MM-dd HH:mm:ss} UTC";
        var open = await OpenAlertsAsync(connection, transaction, site, GatewaySubject(gateway), cancellationToken);
        var verdict = new Verdict(down, null, down ? detail : "online", maintenance.Covers(site, "", GatewaySubject(gateway), now));
        await ApplyAsync(connection, transaction, new Subject(site, gateway, GatewaySubject(gateway), "gateway", ""), GatewayOfflineRule, "critical",
            "网关离线 Gateway offline — its devices are not watched", TimeSpan.Zero, open.GetValueOrDefault(GatewayOfflineRule), verdict, now, cancellationToken);
    }

    /// <summary>The device column of a gateway-level alert.</summary>
    public static string GatewaySubject(string gateway) => $"gateway:{gateway}";

    private bool IsGatewayDown(string? state, long? lastSeen, DateTimeOffset now) =>
        state == "offline" || (lastSeen is { } seen && now - UnixTime.FromMs(seen) > options.GatewaySilence);

    /// <summary>Moves the alert along the lifecycle per the verdict; true when it wrote (or tried to write) the alert.</summary>
    private async Task<bool> ApplyAsync(
        DbConnection connection, DbTransaction transaction, Subject subject, string ruleId, string severity, string title, TimeSpan hold,
        OpenAlertRow? alert, Verdict verdict, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        if (verdict.Active == true)
        {
            if (alert is null)
            {
                var state = hold > TimeSpan.Zero ? "pending" : "firing";
                var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                    """
                    INSERT INTO alerts (site, gateway, device, kind, building, rule_id, severity, state, title, detail, value, opened_at, fired_at, suppressed, updated_at)
                    VALUES (@Site, @Gateway, @Device, @Kind, @Building, @ruleId, @severity, @state, @title, @Detail, @Value, @now, @firedAt, @Suppressed, @now)
                    ON CONFLICT (site, device, rule_id) WHERE state <> 'resolved' DO NOTHING
                    RETURNING id
                    """,
                    new
                    {
                        subject.Site, subject.Gateway, subject.Device, subject.Kind, subject.Building, ruleId, severity, state, title, verdict.Detail, verdict.Value,
                        now = nowMs, firedAt = state == "firing" ? nowMs : (long?)null, verdict.Suppressed,
                    },
                    transaction, cancellationToken: cancellationToken));
                if (id is { } newId)
                {
                    await AuditAsync(connection, transaction, newId, nowMs, state == "firing" ? "fired" : "pending", verdict.Detail, cancellationToken);
                    if (state == "firing")
                    {
                        LogFired(logger, ruleId, subject.Site, subject.Device, verdict.Detail);
                        await NotifyAsync(connection, transaction, newId, subject, ruleId, severity, "firing", title, verdict, now, cancellationToken);
                    }
                }

                return true;
            }

            if (alert.State == "pending" && now - UnixTime.FromMs(alert.OpenedAt) >= hold)
            {
                if (await UpdateAsync(connection, transaction, alert.Id, "state = 'firing', fired_at = @now, detail = @Detail, value = @Value, suppressed = @Suppressed",
                    "state = 'pending'", new { now = nowMs, verdict.Detail, verdict.Value, verdict.Suppressed }, cancellationToken) == 0)
                {
                    return true; // another instance fired it a moment ago
                }

                await AuditAsync(connection, transaction, alert.Id, nowMs, "fired", verdict.Detail, cancellationToken);
                LogFired(logger, ruleId, subject.Site, subject.Device, verdict.Detail);
                await NotifyAsync(connection, transaction, alert.Id, subject, ruleId, severity, "firing", title, verdict, now, cancellationToken);
                return true;
            }
            else if (alert.ClearSince is not null)
            {
                // Back while a flapping alert was being held open: one more occurrence, no new page.
                await UpdateAsync(connection, transaction, alert.Id, "clear_since = NULL, occurrences = occurrences + 1, detail = @Detail, value = @Value",
                    "clear_since IS NOT NULL", new { now = nowMs, verdict.Detail, verdict.Value }, cancellationToken);
                await AuditAsync(connection, transaction, alert.Id, nowMs, "recurred", verdict.Detail, cancellationToken);
                return true;
            }

            return false;
        }

        if (alert is null)
        {
            return false;
        }

        if (alert.State == "pending")
        {
            // Cleared before its time was up: it never fired and notified nobody, so it leaves no alert behind.
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM alert_events WHERE alert_id = @Id", new { alert.Id }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM alerts WHERE id = @Id AND state = 'pending'", new { alert.Id }, transaction, cancellationToken: cancellationToken));
            return true;
        }

        if (alert.Flapping == 0)
        {
            var firings = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM alerts WHERE site = @Site AND device = @Device AND rule_id = @ruleId AND fired_at >= @since",
                new { subject.Site, subject.Device, ruleId, since = (now - options.FlapWindow).ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
            if (firings >= options.FlapCount)
            {
                await UpdateAsync(connection, transaction, alert.Id, "flapping = 1, clear_since = @now", "flapping = 0", new { now = nowMs }, cancellationToken);
                await AuditAsync(connection, transaction, alert.Id, nowMs, "flapping",
                    $"fired {firings} times within {options.FlapWindow.TotalMinutes:0} min: held open until clear for {options.FlapHold.TotalMinutes:0} min", cancellationToken);
                return true;
            }
        }
        else
        {
            if (alert.ClearSince is null)
            {
                await UpdateAsync(connection, transaction, alert.Id, "clear_since = @now", "clear_since IS NULL", new { now = nowMs }, cancellationToken);
                return true;
            }

            if (now - UnixTime.FromMs(alert.ClearSince.Value) < options.FlapHold)
            {
                return false;
            }
        }

        if (await UpdateAsync(connection, transaction, alert.Id, "state = 'resolved', resolved_at = @now, resolved_by = 'system'", "state <> 'resolved'", new { now = nowMs }, cancellationToken) == 0)
        {
            return true;
        }

        await AuditAsync(connection, transaction, alert.Id, nowMs, "resolved", verdict.Detail, cancellationToken);
        LogResolved(logger, ruleId, subject.Site, subject.Device);
        await NotifyAsync(connection, transaction, alert.Id, subject, ruleId, severity, "resolved", title, verdict with { Suppressed = alert.Suppressed }, now, cancellationToken);
        return true;
    }

    private async Task NotifyAsync(
        DbConnection connection, DbTransaction transaction, long id, Subject subject, string ruleId, string severity, string state, string title,
        Verdict verdict, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (verdict.Suppressed is not null)
        {
            return;
        }

        var notice = new AlertNotice(id, subject.Site, subject.Building, subject.Device, subject.Kind, ruleId, severity, state, title, verdict.Detail, verdict.Value, now);
        foreach (var notifier in _notifiers)
        {
            await notifier.EnqueueAsync(notice, connection, transaction, cancellationToken);
        }
    }

    private static async Task<Dictionary<string, OpenAlertRow>> OpenAlertsAsync(DbConnection connection, DbTransaction transaction, string site, string device, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<OpenAlertRow>(new CommandDefinition(
            "SELECT id, rule_id, state, opened_at, clear_since, flapping, suppressed FROM alerts WHERE site = @site AND device = @device AND state <> 'resolved'",
            new { site, device }, transaction, cancellationToken: cancellationToken)))
        .ToDictionary(a => a.RuleId, StringComparer.Ordinal);

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
    public static Task<int> AuditAsync(DbConnection connection, DbTransaction transaction, long alertId, long at, string action, string? detail, CancellationToken cancellationToken, string actor = "system") =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO alert_events (alert_id, at, action, actor, detail) VALUES (@alertId, @at, @action, @actor, @detail)",
            new { alertId, at, action, actor, detail }, transaction, cancellationToken: cancellationToken));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {Rule} fired for {Site}/{Device}: {Detail}")]
    private static partial void LogFired(ILogger logger, string rule, string site, string device, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {Rule} resolved for {Site}/{Device}")]
    private static partial void LogResolved(ILogger logger, string rule, string site, string device);

    private sealed record Subject(string Site, string Gateway, string Device, string Kind, string Building);

    private sealed class GatewayRow
    {
        public string State { get; set; } = "";

        public long StateSince { get; set; }

        public long LastSeen { get; set; }
    }
}

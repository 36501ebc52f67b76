using System.Data.Common;
using Dapper;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Notifications;

/// <summary>
/// Climbs escalation ladders: a firing alert nobody acknowledged within a route's <c>EscalateAfter</c> is sent to the
/// route's next contact, and once the last contact has it, reminded every <c>RepeatEvery</c>. Each step advances the
/// ladder's (level, round) in <c>alert_escalations</c> with a compare-and-set UPDATE in the same transaction that
/// queues the notices, so with several instances each step happens once. Acknowledged or resolved alerts stop.
/// </summary>
internal sealed partial class EscalationScheduler(
    CloudDatabase database, NotificationRouter router, NotificationStore outbox, NotificationOptions options, TimeProvider time,
    ILogger<EscalationScheduler> logger) : BackgroundService
{
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await EscalateDueAsync(stoppingToken);
            }
            catch (Exception error) when (error is DbException or InvalidOperationException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(logger, error);
            }

            await Task.Delay(options.EscalationCheckInterval, time, stoppingToken);
        }
    }

    /// <summary>One pass over the ladders that are due; returns how many steps this instance took.</summary>
    public async Task<int> EscalateDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var due = (await connection.QueryAsync<DueEscalation>(new CommandDefinition("""
            SELECT e.alert_id AS AlertId, e.route AS Route, e.level AS Level, e.repeat_round AS Round,
                a.site AS Site, a.building AS Building, a.device AS Device, a.kind AS Kind, a.rule_id AS RuleId, a.severity AS Severity,
                a.state AS State, a.title AS Title, a.detail AS Detail, a.value AS Value, a.opened_at AS OpenedAt, a.fired_at AS FiredAt,
                a.acknowledged_at AS AcknowledgedAt
            FROM alert_escalations e JOIN alerts a ON a.id = e.alert_id
            WHERE e.next_at IS NOT NULL AND e.next_at <= @now
            ORDER BY e.next_at LIMIT @limit
            """,
            new { now = now.ToUnixTimeMilliseconds(), limit = BatchSize }, cancellationToken: cancellationToken))).ToList();
        var steps = 0;
        foreach (var ladder in due)
        {
            if (await StepAsync(connection, ladder, now, cancellationToken))
            {
                steps++;
            }
        }

        return steps;
    }

    private async Task<bool> StepAsync(DbConnection connection, DueEscalation ladder, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var route = router.Route(ladder.Route);
        var stop = ladder.State != NotificationEvents.Firing || ladder.AcknowledgedAt is not null ? $"alert {ladder.State}"
            : route is null ? "route no longer configured"
            : null;
        var step = stop is null ? route!.Next((int)ladder.Level, (int)ladder.Round) : null;
        await using var transaction = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        if (step is null)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE alert_escalations SET next_at = NULL, stopped = @stop, updated_at = @now
                WHERE alert_id = @AlertId AND route = @Route AND level = @Level AND repeat_round = @Round
                """,
                new { ladder.AlertId, ladder.Route, ladder.Level, ladder.Round, stop = stop ?? "ladder ended", now = nowMs }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return false;
        }

        var wait = route!.WaitAfter(step.Level);
        // The new level and round need names of their own: Npgsql matches parameter names case-insensitively (@level is @Level).
        var advanced = await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE alert_escalations SET level = @newLevel, repeat_round = @newRound, next_at = @next, stopped = @stopped, updated_at = @now
            WHERE alert_id = @AlertId AND route = @Route AND level = @Level AND repeat_round = @Round AND next_at IS NOT NULL
              AND EXISTS (SELECT 1 FROM alerts WHERE id = @AlertId AND state = '{AlertStates.Firing}' AND acknowledged_at IS NULL)
            """,
            new
            {
                ladder.AlertId, ladder.Route, ladder.Level, ladder.Round, newLevel = (long)step.Level, newRound = (long)step.Round,
                next = wait is { } w ? (now + w).ToUnixTimeMilliseconds() : (long?)null, stopped = wait is null ? "ladder ended" : null, now = nowMs,
            },
            transaction, cancellationToken: cancellationToken));
        if (advanced == 0 || router.ContactAt(route, step.Level) is not { } contact)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        var firedAt = DateTimeOffset.FromUnixTimeMilliseconds(ladder.FiredAt ?? ladder.OpenedAt);
        var notice = new AlertNotice(
            ladder.AlertId, ladder.Site, ladder.Building, ladder.Device, ladder.Kind, ladder.RuleId, ladder.Severity, ladder.State,
            ladder.Title, ladder.Detail, ladder.Value, firedAt);
        var queued = await outbox.QueueForContactAsync(
            connection, transaction, notice, route.Name, step.Level, step.Round, step.Event, contact, now - firedAt, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogStepped(logger, ladder.AlertId, step.Event, route.Name, step.Level, contact.Key, queued);
        return true;
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Alert {AlertId} unacknowledged: {Event} on route {Route} to level {Level} ({Contact}, {Count} notifications)")]
    private static partial void LogStepped(ILogger logger, long alertId, string @event, string route, int level, string contact, int count);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Error, Message = "Escalation pass failed; trying again")]
    private static partial void LogPassFailed(ILogger logger, Exception error);

    private sealed class DueEscalation
    {
        public long AlertId { get; set; }

        public string Route { get; set; } = "";

        public long Level { get; set; }

        public long Round { get; set; }

        public string Site { get; set; } = "";

        public string Building { get; set; } = "";

        public string Device { get; set; } = "";

        public string Kind { get; set; } = "";

        public string RuleId { get; set; } = "";

        public string Severity { get; set; } = "";

        public string State { get; set; } = "";

        public string Title { get; set; } = "";

        public string? Detail { get; set; }

        public double? Value { get; set; }

        public long OpenedAt { get; set; }

        public long? FiredAt { get; set; }

        public long? AcknowledgedAt { get; set; }
    }
}

using System.Data.Common;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Domain.Notifications;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Notifications;

/// <summary>
/// Climbs escalation ladders: a firing alert nobody acknowledged within a route's <c>EscalateAfter</c> is sent to the
/// route's next contact, and once the last contact has it, reminded every <c>RepeatEvery</c>. What each due ladder does
/// next is <see cref="EscalationLadder.Decide"/>'s; each step advances the ladder's (level, round) in
/// <c>alert_escalations</c> with a compare-and-set (<see cref="NotificationStore.AdvanceLadderAsync"/>) in the same
/// transaction that queues the notices, so with several instances each step happens once. Acknowledged or resolved alerts stop.
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
        var steps = 0;
        foreach (var ladder in await NotificationStore.DueEscalationsAsync(connection, now, BatchSize, cancellationToken))
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
        var route = router.Route(ladder.Route);
        var decision = EscalationLadder.Decide(route?.Ladder, ladder.Alert.State, ladder.Alert.AcknowledgedAt is not null, (int)ladder.Level, (int)ladder.Round, now);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        if (decision.Step is not { } step)
        {
            await NotificationStore.StopLadderAsync(connection, transaction, ladder, decision.Stopped!, now, cancellationToken);
            await write.CommitAsync(cancellationToken);
            return false;
        }

        var advanced = await NotificationStore.AdvanceLadderAsync(connection, transaction, ladder, step, decision.NextAt, decision.Stopped, now, cancellationToken);
        if (advanced == 0 || router.ContactAt(route!, step.Level) is not { } contact)
        {
            await write.RollbackAsync(cancellationToken);
            return false;
        }

        var alert = ladder.Alert;
        var firedAt = DateTimeOffset.FromUnixTimeMilliseconds(alert.FiredAt ?? alert.OpenedAt);
        var notice = new AlertNotice(
            alert.Id, alert.Site, alert.Building, alert.Device, alert.Kind, alert.RuleId, alert.Severity, alert.State, alert.Title, alert.Detail, alert.Value, firedAt);
        var queued = await outbox.QueueForContactAsync(
            connection, transaction, notice, route!.Name, step.Level, step.Round, step.Event, contact, now - firedAt, now, cancellationToken);
        await write.CommitAsync(cancellationToken);
        LogStepped(logger, ladder.AlertId, step.Event, route.Name, step.Level, contact.Key, queued);
        return true;
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Alert {AlertId} unacknowledged: {Event} on route {Route} to level {Level} ({Contact}, {Count} notifications)")]
    private static partial void LogStepped(ILogger logger, long alertId, string @event, string route, int level, string contact, int count);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Error, Message = "Escalation pass failed; trying again")]
    private static partial void LogPassFailed(ILogger logger, Exception error);
}

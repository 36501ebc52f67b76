using System.Data.Common;
using Facilities.Cloud.Alerts;

namespace Facilities.Cloud.Notifications;

/// <summary>
/// Decides, inside the alert's transaction, who hears about an alert change, and queues it (nothing is sent here).
/// A firing alert goes to the first contact of every route that takes it, and starts that route's escalation ladder
/// when the severity calls for it. Acknowledged and resolved alerts stop their ladders and tell everyone who was paged.
/// </summary>
internal sealed partial class AlertNotifier(
    NotificationRouter router, NotificationStore outbox, TimeProvider time, ILogger<AlertNotifier> logger) : IAlertTransitionObserver
{
    public async Task OnTransitionAsync(AlertNotice notice, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        ArgumentNullException.ThrowIfNull(connection);
        var now = time.GetUtcNow();
        switch (notice.State)
        {
            case NotificationEvents.Firing:
                await FiringAsync(notice, connection, transaction, now, cancellationToken);
                break;
            case NotificationEvents.Acknowledged or NotificationEvents.Resolved:
                await ClosingAsync(notice, connection, transaction, now, cancellationToken);
                break;
            default:
                LogIgnored(logger, notice.AlertId, notice.State);
                break;
        }
    }

    private async Task FiringAsync(AlertNotice notice, DbConnection connection, DbTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var severity = AlertSeverities.ParseOrCritical(notice.Severity);
        var routes = router.Match(notice.Site, severity, notice.RuleId);
        if (routes.Count == 0)
        {
            // With no routes at all, the dispatcher said so once at start-up; a warning per alert would only be noise.
            if (router.Routes.Count > 0)
            {
                LogUnrouted(logger, notice.AlertId, notice.Site, notice.Severity);
            }

            return;
        }

        foreach (var route in routes)
        {
            if (router.ContactAt(route, 0) is not { } contact)
            {
                continue;
            }

            var queued = await outbox.QueueForContactAsync(connection, transaction, notice, route.Name, 0, 0, NotificationEvents.Firing, contact, null, now, cancellationToken);
            LogQueued(logger, notice.AlertId, NotificationEvents.Firing, route.Name, contact.Key, queued);
            if (route.Escalates(severity) && route.Ladder.WaitAfter(0) is { } wait)
            {
                await NotificationStore.StartEscalationAsync(connection, transaction, notice.AlertId, route.Name, now + wait, now, cancellationToken);
            }
        }
    }

    private async Task ClosingAsync(AlertNotice notice, DbConnection connection, DbTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await NotificationStore.StopEscalationAsync(connection, transaction, notice.AlertId, notice.State, now, cancellationToken);

        foreach (var paged in await NotificationStore.PagedAsync(connection, transaction, notice.AlertId, cancellationToken))
        {
            var contact = router.Contact(paged.Contact) ?? new OnCallContact(paged.Contact, paged.Contact, [], []);
            await outbox.QueueForContactAsync(
                connection, transaction, notice, paged.Route, (int)paged.Level, 0, notice.State, contact, null, now, cancellationToken, [(paged.Channel, paged.Target)]);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Alert {AlertId}: {Event} queued on route {Route} for {Contact} ({Count} notifications)")]
    private static partial void LogQueued(ILogger logger, long alertId, string @event, string route, string contact, int count);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Alert {AlertId} at site {Site} ({Severity}) matches no notification route; nobody is notified")]
    private static partial void LogUnrouted(ILogger logger, long alertId, string site, string severity);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "Alert {AlertId}: state {State} does not notify")]
    private static partial void LogIgnored(ILogger logger, long alertId, string state);
}

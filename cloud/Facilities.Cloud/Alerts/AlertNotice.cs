using System.Data.Common;

namespace Facilities.Cloud.Notifications;

/// <summary>What happened to an alert, as the notification channels tell it.</summary>
public sealed record AlertNotice(long AlertId, string Site, string Building, string Device, string Kind, string RuleId,
    string Severity, string State, string Title, string? Detail,
    double? Value, DateTimeOffset At, string? AcknowledgedBy = null);

/// <summary>
/// Queues the notifications an alert change calls for, inside the alert's own database transaction (outbox): they are
/// sent after the commit, and only if it happened.
/// </summary>
public interface IAlertNotifier
{
    Task EnqueueAsync(AlertNotice notice, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);
}

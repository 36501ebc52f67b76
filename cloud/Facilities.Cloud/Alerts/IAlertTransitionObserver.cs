using System.Data.Common;

namespace Facilities.Cloud.Alerts;

/// <summary>
/// Acts on an alert's transition (fired, acknowledged, resolved) inside the transaction that writes it: the notifier
/// queues notifications (an outbox: sent after the commit, and only if it happened), the work-order opener opens or
/// updates the alert's work order. <see cref="AlertStore"/> calls every observer, in registration order, for every
/// transition that announces itself (suppressed alerts announce nothing).
/// </summary>
public interface IAlertTransitionObserver
{
    Task OnTransitionAsync(AlertNotice notice, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);
}

using Facilities.Cloud.Outbox;

namespace Facilities.Cloud.Notifications;

/// <summary>A notification as stored and sent: <see cref="Body"/> is already in the channel's form (see <see cref="INotificationChannel.Compose"/>).</summary>
internal sealed record Delivery(long Id, string Channel, string Subject, string Body, string Target);

/// <summary>
/// One way of reaching people. A refusal by the other end (HTTP error status, a robot's non-zero errcode) comes back
/// as a failed <see cref="DeliveryResult"/>; only transport failures (connection refused, timeout) throw.
/// </summary>
internal interface INotificationChannel
{
    /// <summary><c>webhook</c>, <c>wecom</c>, <c>dingtalk</c> or <c>email</c>.</summary>
    string Type { get; }

    /// <summary>Where a contact's message goes, without secrets: a URL without its query (which carries robot keys), or email addresses.</summary>
    string Target(OnCallContact contact);

    /// <summary>The stored body for this channel: markdown for robots, text for email, the JSON document for webhooks.</summary>
    string Compose(NotificationMessage message);

    Task<DeliveryResult> SendAsync(Delivery delivery, CancellationToken cancellationToken);
}

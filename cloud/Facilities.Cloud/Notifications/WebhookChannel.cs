using System.Text.Json;
using Facilities.Cloud.Outbox;

namespace Facilities.Cloud.Notifications;

/// <summary>Generic webhook: POSTs <see cref="WebhookNotification"/> as JSON, with optional extra headers; any 2xx is delivered.</summary>
internal sealed class WebhookChannel(Uri url, IReadOnlyDictionary<string, string> headers, HttpClient http) : INotificationChannel
{
    public string Type => NotificationChannelOptions.Webhook;

    public string Target(OnCallContact contact) => HttpDelivery.Display(url);

    public string Compose(NotificationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return JsonSerializer.Serialize(message.Webhook, NotificationJsonContext.Readable.WebhookNotification);
    }

    public async Task<DeliveryResult> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var (status, body) = await HttpDelivery.PostJsonAsync(http, url, delivery.Body, headers, cancellationToken);
        return HttpDelivery.FromStatus(status, body);
    }
}

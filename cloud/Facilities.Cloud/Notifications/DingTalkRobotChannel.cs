using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Facilities.Cloud.Outbox;

namespace Facilities.Cloud.Notifications;

/// <summary>
/// DingTalk (钉钉) custom robot: POSTs <c>{"msgtype":"markdown","markdown":{"title":…,"text":…}}</c> to the robot's
/// webhook URL (<c>…/robot/send?access_token=…</c>). With a signing secret, each request carries <c>timestamp</c> (Unix
/// ms) and <c>sign</c> = URL-encoded Base64 of HMAC-SHA256(key: secret, data: timestamp + "\n" + secret); DingTalk
/// refuses timestamps more than an hour off. Answers HTTP 200 with an errcode; non-zero is a failure.
/// </summary>
internal sealed class DingTalkRobotChannel(Uri url, string? secret, HttpClient http, TimeProvider time) : INotificationChannel
{
    public string Type => NotificationChannelOptions.DingTalk;

    public string Target(OnCallContact contact) => HttpDelivery.Display(url);

    public string Compose(NotificationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Markdown;
    }

    public async Task<DeliveryResult> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var json = JsonSerializer.Serialize(new DingTalkMarkdownMessage("markdown", new DingTalkMarkdown(delivery.Subject, delivery.Body)), NotificationJsonContext.Readable.DingTalkMarkdownMessage);
        var (status, body) = await HttpDelivery.PostJsonAsync(http, SignedUrl(time.GetUtcNow().ToUnixTimeMilliseconds()), json, null, cancellationToken);
        return RobotReply.Judge(status, body);
    }

    public Uri SignedUrl(long timestamp)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return url;
        }

        var separator = string.IsNullOrEmpty(url.Query) ? "?" : "&";
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{url.AbsoluteUri}{separator}timestamp={timestamp}&sign={Uri.EscapeDataString(Sign(timestamp, secret))}"));
    }

    /// <summary>The Base64 signature (before URL encoding) of <paramref name="timestamp"/> with <paramref name="secret"/>.</summary>
    public static string Sign(long timestamp, string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var data = string.Create(CultureInfo.InvariantCulture, $"{timestamp}\n{secret}");
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(data)));
    }
}

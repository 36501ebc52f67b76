using System.Text;
using System.Text.Json;
using Facilities.Cloud.Outbox;

namespace Facilities.Cloud.Notifications;

/// <summary>
/// WeCom (企业微信) group robot: POSTs <c>{"msgtype":"markdown","markdown":{"content":…}}</c> to the robot's webhook
/// URL (<c>…/cgi-bin/webhook/send?key=…</c>). The robot answers HTTP 200 with an errcode; non-zero is a failure.
/// </summary>
internal sealed class WeComRobotChannel(Uri url, HttpClient http) : INotificationChannel
{
    /// <summary>WeCom refuses markdown content longer than 4096 bytes of UTF-8.</summary>
    public const int MaxContentBytes = 4096;

    public string Type => NotificationChannelOptions.WeCom;

    public string Target(OnCallContact contact) => HttpDelivery.Display(url);

    public string Compose(NotificationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Truncate(message.Markdown, MaxContentBytes);
    }

    public async Task<DeliveryResult> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var json = JsonSerializer.Serialize(new WeComMarkdownMessage("markdown", new WeComMarkdown(delivery.Body)), NotificationJsonContext.Readable.WeComMarkdownMessage);
        var (status, body) = await HttpDelivery.PostJsonAsync(http, url, json, null, cancellationToken);
        return RobotReply.Judge(status, body);
    }

    /// <summary>Cuts text to at most <paramref name="maxBytes"/> of UTF-8 without splitting a character.</summary>
    public static string Truncate(string text, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var budget = maxBytes - Encoding.UTF8.GetByteCount("…");
        var length = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if ((budget -= rune.Utf8SequenceLength) < 0)
            {
                break;
            }

            length += rune.Utf16SequenceLength;
        }

        return string.Concat(text.AsSpan(0, length), "…");
    }
}

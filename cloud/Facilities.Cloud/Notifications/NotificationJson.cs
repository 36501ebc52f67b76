using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Facilities.Cloud.Outbox;

namespace Facilities.Cloud.Notifications;

/// <summary>WeCom group robot markdown message: <c>{"msgtype":"markdown","markdown":{"content":…}}</c>.</summary>
internal sealed record WeComMarkdownMessage(string Msgtype, WeComMarkdown Markdown);

internal sealed record WeComMarkdown(string Content);

/// <summary>DingTalk custom robot markdown message: <c>{"msgtype":"markdown","markdown":{"title":…,"text":…}}</c>.</summary>
internal sealed record DingTalkMarkdownMessage(string Msgtype, DingTalkMarkdown Markdown);

internal sealed record DingTalkMarkdown(string Title, string Text);

/// <summary>What both robots answer, with HTTP 200 even on failure: errcode 0 means sent.</summary>
internal sealed record RobotReply(int Errcode, string? Errmsg)
{
    /// <summary>
    /// A WeCom or DingTalk robot's answer: HTTP 200 with <c>{"errcode":0}</c> is delivered; any other errcode (bad key,
    /// bad signature, rate limit, content rejected) is a failure, recorded with the robot's errcode and errmsg.
    /// </summary>
    internal static DeliveryResult Judge(int status, string body)
    {
        if (status is < 200 or >= 300)
        {
            return DeliveryResult.Failed(HttpDelivery.Describe(status, body));
        }

        RobotReply? reply;
        try
        {
            reply = JsonSerializer.Deserialize(body, NotificationJsonContext.Default.RobotReply);
        }
        catch (JsonException)
        {
            reply = null;
        }

        return reply switch
        {
            null => DeliveryResult.Failed($"{HttpDelivery.Describe(status, body)} (not a robot reply)"),
            { Errcode: 0 } => DeliveryResult.Ok(HttpDelivery.Describe(status, body)),
            _ => DeliveryResult.Failed(string.Create(CultureInfo.InvariantCulture, $"errcode {reply.Errcode}: {reply.Errmsg}")),
        };
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookNotification))]
[JsonSerializable(typeof(WeComMarkdownMessage))]
[JsonSerializable(typeof(DingTalkMarkdownMessage))]
[JsonSerializable(typeof(RobotReply))]
internal sealed partial class NotificationJsonContext : JsonSerializerContext
{
    /// <summary>Like <see cref="JsonSerializerContext"/>'s default, but Chinese text stays readable instead of \u escapes.</summary>
    public static NotificationJsonContext Readable { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    });
}

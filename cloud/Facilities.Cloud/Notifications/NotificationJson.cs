using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace Facilities.Cloud.Notifications;

/// <summary>WeCom group robot markdown message: <c>{"msgtype":"markdown","markdown":{"content":…}}</c>.</summary>
public sealed record WeComMarkdownMessage(string Msgtype, WeComMarkdown Markdown);

public sealed record WeComMarkdown(string Content);

/// <summary>DingTalk custom robot markdown message: <c>{"msgtype":"markdown","markdown":{"title":…,"text":…}}</c>.</summary>
public sealed record DingTalkMarkdownMessage(string Msgtype, DingTalkMarkdown Markdown);

public sealed record DingTalkMarkdown(string Title, string Text);

/// <summary>What both robots answer, with HTTP 200 even on failure: errcode 0 means sent.</summary>
public sealed record RobotReply(int Errcode, string? Errmsg);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookNotification))]
[JsonSerializable(typeof(WeComMarkdownMessage))]
[JsonSerializable(typeof(DingTalkMarkdownMessage))]
[JsonSerializable(typeof(RobotReply))]
public sealed partial class NotificationJsonContext : JsonSerializerContext
{
    /// <summary>Like <see cref="JsonSerializerContext"/>'s default, but Chinese text stays readable instead of \u escapes.</summary>
    public static NotificationJsonContext Readable { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    });
}

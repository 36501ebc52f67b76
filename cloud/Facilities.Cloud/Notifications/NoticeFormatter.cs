using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.Notifications;

/// <summary>A notification's content in every form a channel may need: subject, markdown (robots), plain text (email), JSON (webhook).</summary>
internal sealed record NotificationMessage(string Subject, string Markdown, string Text, WebhookNotification Webhook);

/// <summary>The JSON document the generic webhook channel POSTs (documented in docs/notifications.md).</summary>
internal sealed record WebhookNotification(
    long AlertId, string Event, string Site, string Building, string Device, string Kind, string RuleId, string Severity,
    string State, string Title, string? Detail, double? Value, DateTimeOffset At, string? AcknowledgedBy,
    int EscalationLevel, string Contact, string Subject, string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Attributes = null);

/// <summary>
/// Writes alert notices for people: Chinese first, English after, times in the site's time zone. The same facts go
/// into every form, so a WeCom group, a mailbox and a webhook receiver read the same thing. An elevator's registration
/// code and 96333 rescue code (attributes in the site file, through <paramref name="rules"/>) go with every notice
/// about it, so whoever is sent can name the lift to the rescue service.
/// </summary>
internal sealed class NoticeFormatter(SiteTime siteTime, RuleSet? rules = null)
{
    private const int MaxDetail = 500;

    public NotificationMessage Format(AlertNotice notice, string @event, int level, OnCallContact contact, TimeSpan? unacknowledgedFor = null)
    {
        ArgumentNullException.ThrowIfNull(notice);
        ArgumentNullException.ThrowIfNull(contact);
        var severity = SeverityLabel(notice.Severity);
        var heading = $"【{Tag(@event, severity)}】{OneLine(notice.Title)}";
        var where = $"{notice.Site} / {notice.Building} / {notice.Device}";
        var subject = $"{heading} — {where} — {siteTime.Format(notice.Site, notice.At)}";

        var fields = new List<(string Label, string Value)>
        {
            ("状态 State", EventLabel(@event)),
            ("级别 Severity", severity),
            ("位置 Where", $"{where} ({notice.Kind})"),
            ("时间 Time", siteTime.Format(notice.Site, notice.At)),
        };
        var attributes = rules?.Attributes(notice.Site, notice.Device);
        if (attributes?.GetValueOrDefault(DeviceSettings.RegistrationCode) is { } registration)
        {
            fields.Add(("注册代码 Registration code", OneLine(registration)));
        }

        if (attributes?.GetValueOrDefault(DeviceSettings.RescueCode) is { } rescue)
        {
            fields.Add(("96333救援码 Rescue code", OneLine(rescue)));
        }

        if (notice.Value is { } value)
        {
            fields.Add(("数值 Value", value.ToString("0.###", CultureInfo.InvariantCulture)));
        }

        if (!string.IsNullOrWhiteSpace(notice.Detail))
        {
            var detail = OneLine(notice.Detail);
            fields.Add(("详情 Detail", detail.Length > MaxDetail ? string.Concat(detail.AsSpan(0, MaxDetail), "…") : detail));
        }

        if (@event == NotificationEvents.Acknowledged && !string.IsNullOrWhiteSpace(notice.AcknowledgedBy))
        {
            fields.Add(("确认人 By", OneLine(notice.AcknowledgedBy)));
        }

        if (@event is NotificationEvents.Escalated or NotificationEvents.Repeated)
        {
            if (unacknowledgedFor is { } waited)
            {
                var minutes = (long)Math.Round(waited.TotalMinutes);
                fields.Add(("未确认 Unacknowledged", string.Create(CultureInfo.InvariantCulture, $"{minutes} 分钟 min")));
            }

            fields.Add(("通知 Notifying", string.Create(CultureInfo.InvariantCulture, $"{contact.Name}（第 {level + 1} 级 level {level + 1}）")));
        }

        fields.Add(("规则 Rule", notice.RuleId));
        var footer = string.Create(CultureInfo.InvariantCulture, $"告警编号 Alert #{notice.AlertId}");

        var markdown = new StringBuilder().Append("### ").Append(heading).Append('\n');
        var text = new StringBuilder().Append(heading).Append('\n');
        foreach (var (label, fieldValue) in fields)
        {
            markdown.Append("> **").Append(label).Append(":** ").Append(fieldValue).Append('\n');
            text.Append(label).Append(": ").Append(fieldValue).Append('\n');
        }

        markdown.Append('\n').Append(footer);
        text.Append('\n').Append(footer).Append('\n');

        var webhook = new WebhookNotification(
            notice.AlertId, @event, notice.Site, notice.Building, notice.Device, notice.Kind, notice.RuleId, notice.Severity, notice.State,
            notice.Title, notice.Detail, notice.Value, notice.At, notice.AcknowledgedBy, level, contact.Key, subject, text.ToString(), attributes);
        return new NotificationMessage(subject, markdown.ToString(), text.ToString(), webhook);
    }

    public static string SeverityLabel(string severity) => AlertSeverities.ParseOrCritical(severity) switch
    {
        AlertSeverity.Info => "提示 Info",
        AlertSeverity.Warning => "警告 Warning",
        _ => "严重 Critical",
    };

    private static string Tag(string @event, string severity) => @event switch
    {
        NotificationEvents.Escalated => $"升级 Escalated · {severity}",
        NotificationEvents.Repeated => $"提醒 Reminder · {severity}",
        NotificationEvents.Acknowledged => "已确认 Acknowledged",
        NotificationEvents.Resolved => "已恢复 Resolved",
        _ => severity,
    };

    private static string EventLabel(string @event) => @event switch
    {
        NotificationEvents.Escalated => "未确认，已升级 Unacknowledged, escalated",
        NotificationEvents.Repeated => "仍未确认 Still unacknowledged",
        NotificationEvents.Acknowledged => "已确认 Acknowledged",
        NotificationEvents.Resolved => "已恢复 Resolved",
        _ => "告警中 Firing",
    };

    /// <summary>Keeps a value on its line (a newline would end a markdown quote or a header).</summary>
    private static string OneLine(string value) => value.ReplaceLineEndings(" ").Trim();
}

using Facilities.Cloud.Alerts;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.Tests.Notifications;

public sealed class NoticeFormatterTests
{
    private static readonly AlertNotice Trapped = new(
        42, "hq", "A栋", "elevator-1", "elevator", "elevator.trapped", "critical", "firing", "电梯困人 Trapped passenger",
        "car stopped between floors 3 and 4", 1, new DateTimeOffset(2025, 3, 1, 6, 5, 9, TimeSpan.Zero));

    private static readonly OnCallContact Zhang = new("zhang", "张工 Zhang", ["hook"], []);

    private static NoticeFormatter Formatter(Dictionary<string, string>? sites = null) => new(new SiteTime("Asia/Shanghai", sites ?? []));

    [Fact]
    public void Format_Firing_SubjectChineseFirstWithSiteLocalTime()
    {
        var message = Formatter().Format(Trapped, NotificationEvents.Firing, 0, Zhang);

        Assert.Equal("【严重 Critical】电梯困人 Trapped passenger — hq / A栋 / elevator-1 — 2025-03-01 14:05:09 (Asia/Shanghai)", message.Subject);
    }

    [Fact]
    public void Format_Firing_MarkdownHasHeadingAndQuotedFields()
    {
        var message = Formatter().Format(Trapped, NotificationEvents.Firing, 0, Zhang);

        Assert.Equal(
            """
            ### 【严重 Critical】电梯困人 Trapped passenger
            > **状态 State:** 告警中 Firing
            > **级别 Severity:** 严重 Critical
            > **位置 Where:** hq / A栋 / elevator-1 (elevator)
            > **时间 Time:** 2025-03-01 14:05:09 (Asia/Shanghai)
            > **数值 Value:** 1
            > **详情 Detail:** car stopped between floors 3 and 4
            > **规则 Rule:** elevator.trapped

            告警编号 Alert #42
            """.ReplaceLineEndings("\n"),
            message.Markdown);
        Assert.DoesNotContain("**", message.Text, StringComparison.Ordinal);
        Assert.Contains("位置 Where: hq / A栋 / elevator-1 (elevator)\n", message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_SiteTimeZone_OverridesDefault()
    {
        var message = Formatter(new() { ["hq"] = "Asia/Urumqi" }).Format(Trapped, NotificationEvents.Firing, 0, Zhang);

        Assert.EndsWith("2025-03-01 12:05:09 (Asia/Urumqi)", message.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_Escalated_NamesContactLevelAndWait()
    {
        var message = Formatter().Format(Trapped, NotificationEvents.Escalated, 1, Zhang, TimeSpan.FromMinutes(10));

        Assert.StartsWith("【升级 Escalated · 严重 Critical】", message.Subject, StringComparison.Ordinal);
        Assert.Contains("> **未确认 Unacknowledged:** 10 分钟 min\n", message.Markdown, StringComparison.Ordinal);
        Assert.Contains("> **通知 Notifying:** 张工 Zhang（第 2 级 level 2）\n", message.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_Acknowledged_SaysWho()
    {
        var message = Formatter().Format(Trapped with { State = "acknowledged", AcknowledgedBy = "李四" }, NotificationEvents.Acknowledged, 0, Zhang);

        Assert.StartsWith("【已确认 Acknowledged】", message.Subject, StringComparison.Ordinal);
        Assert.Contains("确认人 By: 李四\n", message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_Webhook_CarriesAlertFacts()
    {
        var message = Formatter().Format(Trapped, NotificationEvents.Firing, 0, Zhang);

        Assert.Equal(
            new WebhookNotification(42, "firing", "hq", "A栋", "elevator-1", "elevator", "elevator.trapped", "critical", "firing",
                "电梯困人 Trapped passenger", "car stopped between floors 3 and 4", 1, Trapped.At, null, 0, "zhang", message.Subject, message.Text),
            message.Webhook);
    }

    [Fact]
    public void Truncate_LongChineseText_FitsWeComLimitWithoutSplittingCharacters()
    {
        var text = new string('警', 2000);

        var cut = WeComRobotChannel.Truncate(text, WeComRobotChannel.MaxContentBytes);

        Assert.True(System.Text.Encoding.UTF8.GetByteCount(cut) <= WeComRobotChannel.MaxContentBytes);
        Assert.EndsWith("警…", cut, StringComparison.Ordinal);
    }
}

using Facilities.Cloud.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.Tests.Notifications;

/// <summary>An elevator's registration and 96333 rescue codes (site file attributes) go with every notice about it.</summary>
public sealed class DeviceAttributesNoticeTests
{
    private static readonly AlertNotice Trapped = new(
        42, "hq", "A栋", "elevator-1", "elevator", "elevator.trapped", "critical", "firing", "电梯困人 Trapped passenger",
        "car stopped between floors 3 and 4", 1, new DateTimeOffset(2025, 3, 1, 6, 5, 9, TimeSpan.Zero));

    private static readonly OnCallContact Zhang = new("zhang", "张工 Zhang", ["hook"], []);

    private static RuleSet Rules() => new([], null, ParameterSet.Empty, new Dictionary<string, SiteParameters>
    {
        ["hq"] = new(
            new Dictionary<string, IReadOnlyDictionary<string, ParameterValue>>(), new Dictionary<string, SeasonCalendar>(),
            new Dictionary<string, DeviceEntry>
            {
                ["elevator-1"] = new(new Dictionary<string, ParameterValue>(), new Dictionary<string, string>
                {
                    [DeviceSettings.RegistrationCode] = "31101101002019120001", [DeviceSettings.RescueCode] = "310001",
                }),
            }),
    });

    [Fact]
    public void Format_ElevatorWithCodes_TextAndWebhookCarryThem()
    {
        var message = new NoticeFormatter(new SiteTime("Asia/Shanghai", new Dictionary<string, string>()), Rules()).Format(Trapped, NotificationEvents.Firing, 0, Zhang);
        Assert.Contains("注册代码 Registration code: 31101101002019120001", message.Text, StringComparison.Ordinal);
        Assert.Contains("96333救援码 Rescue code: 310001", message.Text, StringComparison.Ordinal);
        Assert.Equal("310001", message.Webhook.Attributes![DeviceSettings.RescueCode]);
    }

    [Fact]
    public void Format_DeviceWithoutAttributes_HasNoCodeLines()
    {
        var message = new NoticeFormatter(new SiteTime("Asia/Shanghai", new Dictionary<string, string>()), Rules()).Format(Trapped with { Device = "elevator-2" }, NotificationEvents.Firing, 0, Zhang);
        Assert.DoesNotContain("Rescue code", message.Text, StringComparison.Ordinal);
        Assert.Null(message.Webhook.Attributes);
    }
}

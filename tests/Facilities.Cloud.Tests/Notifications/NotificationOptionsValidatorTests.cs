using Facilities.Cloud.Notifications;
using Microsoft.Extensions.Configuration;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Tests.Notifications;

public sealed class NotificationOptionsValidatorTests
{
    private static IReadOnlyList<string> Validate(Dictionary<string, string?> settings) =>
        NotificationOptionsValidator.Validate(Settings.Bind<NotificationOptions>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), "Notifications"));

    [Fact]
    public void Validate_CompleteConfiguration_NoErrors()
    {
        var errors = Validate(new()
        {
            ["Notifications:Channels:ops-wecom:Type"] = "wecom",
            ["Notifications:Channels:ops-wecom:Url"] = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
            ["Notifications:Channels:ops-ding:Type"] = "dingtalk",
            ["Notifications:Channels:ops-ding:Url"] = "https://oapi.dingtalk.com/robot/send?access_token=abc",
            ["Notifications:Channels:ops-ding:Secret"] = "SECabc",
            ["Notifications:Channels:mail:Type"] = "email",
            ["Notifications:Channels:mail:Host"] = "smtp.example.com",
            ["Notifications:Channels:mail:From"] = "alerts@example.com",
            ["Notifications:Contacts:zhang:Channels:0"] = "ops-wecom",
            ["Notifications:Contacts:zhang:Channels:1"] = "mail",
            ["Notifications:Contacts:zhang:Email:0"] = "zhang@example.com",
            ["Notifications:Contacts:manager:Channels:0"] = "ops-ding",
            ["Notifications:Routes:0:Name"] = "hq",
            ["Notifications:Routes:0:Sites:0"] = "hq",
            ["Notifications:Routes:0:Escalation:0"] = "zhang",
            ["Notifications:Routes:0:Escalation:1"] = "manager",
            ["Notifications:Routes:0:EscalateAfter"] = "00:10:00",
        });

        Assert.Empty(errors);
    }

    [Fact]
    public void Validate_Mistakes_NameTheirPaths()
    {
        var errors = Validate(new()
        {
            ["Notifications:Channels:hook:Type"] = "slack",
            ["Notifications:Channels:ding:Type"] = "dingtalk",
            ["Notifications:Channels:mail:Type"] = "email",
            ["Notifications:Channels:mail:Host"] = "smtp.example.com",
            ["Notifications:Channels:mail:From"] = "not an address",
            ["Notifications:Contacts:zhang:Channels:0"] = "mail",
            ["Notifications:Contacts:li:Channels:0"] = "missing",
            ["Notifications:Routes:0:MinSeverity"] = "urgent",
            ["Notifications:Routes:0:Escalation:0"] = "nobody",
            ["Notifications:TimeZone"] = "Mars/Olympus",
        });

        Assert.Contains("Notifications:Channels:hook:Type: 'slack' is not a channel type (use webhook, wecom, dingtalk or email)", errors);
        Assert.Contains("Notifications:Channels:ding:Url: an absolute http(s) URL is required for type 'dingtalk'", errors);
        Assert.Contains("Notifications:Channels:mail:From: 'not an address' is not an email address", errors);
        Assert.Contains("Notifications:Contacts:zhang:Email: channel 'mail' has no fixed recipients (To), so the contact needs an address", errors);
        Assert.Contains("Notifications:Contacts:li:Channels: 'missing' is not defined under Notifications:Channels", errors);
        Assert.Contains("Notifications:Routes:0:MinSeverity: 'urgent' is not a severity (use info, warning or critical)", errors);
        Assert.Contains("Notifications:Routes:0:Escalation: contact 'nobody' is not defined under Notifications:Contacts", errors);
        Assert.Contains("Notifications:TimeZone: 'Mars/Olympus' is not a known IANA time zone", errors);
    }

    [Fact]
    public void Validate_Nothing_IsValid()
    {
        Assert.Empty(Validate([]));
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Outbox;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.Tests.Notifications;

/// <summary>Each channel against a real server: a local HTTP receiver for webhook, WeCom and DingTalk, aiosmtpd for email.</summary>
public sealed class ChannelTests : IAsyncLifetime
{
    private static readonly AlertNotice Trapped = new(
        7, "hq", "A栋", "elevator-1", "elevator", "elevator.trapped", "critical", "firing", "电梯困人 Trapped passenger",
        null, null, new DateTimeOffset(2025, 3, 1, 6, 0, 0, TimeSpan.Zero));

    private static readonly OnCallContact Zhang = new("zhang", "张工 Zhang", ["x"], ["zhang@example.com"]);

    private readonly NotificationMessage _message = new NoticeFormatter(new SiteTime("Asia/Shanghai", new Dictionary<string, string>()))
        .Format(Trapped, NotificationEvents.Firing, 0, Zhang);

    private readonly HttpClient _http = new();
    private HttpReceiver _receiver = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _receiver = await HttpReceiver.StartAsync(Token);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
    }

    private async Task<DeliveryResult> SendAsync(INotificationChannel channel) =>
        await channel.SendAsync(new Delivery(1, "x", _message.Subject, channel.Compose(_message), channel.Target(Zhang)), Token);

    [Fact]
    public async Task WeCom_Send_PostsMarkdownMessageInRobotFormat()
    {
        var channel = new WeComRobotChannel(_receiver.Url("/cgi-bin/webhook/send?key=abc-123"), _http);

        var result = await SendAsync(channel);

        Assert.True(result.Delivered, result.Detail);
        var request = Assert.Single(_receiver.Requests("/cgi-bin/webhook/send"));
        Assert.Equal("abc-123", request.Query["key"]);
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(request.Body);
        Assert.Equal(["msgtype", "markdown"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("markdown", json.RootElement.GetProperty("msgtype").GetString());
        Assert.Equal(["content"], json.RootElement.GetProperty("markdown").EnumerateObject().Select(p => p.Name));
        Assert.Equal(_message.Markdown, json.RootElement.GetProperty("markdown").GetProperty("content").GetString());
        Assert.Contains("电梯困人", request.Body, StringComparison.Ordinal);
        Assert.Equal($"http://127.0.0.1:{_receiver.Port}/cgi-bin/webhook/send", channel.Target(Zhang));
    }

    [Fact]
    public async Task WeCom_ErrcodeNotZero_IsFailureWithRobotMessage()
    {
        _receiver.Script("/cgi-bin/webhook/send", (200, """{"errcode":93000,"errmsg":"invalid webhook url"}"""));
        var channel = new WeComRobotChannel(_receiver.Url("/cgi-bin/webhook/send?key=wrong"), _http);

        var result = await SendAsync(channel);

        Assert.Equal(DeliveryResult.Failed("errcode 93000: invalid webhook url"), result);
    }

    [Fact]
    public async Task DingTalk_WithSecret_SignsTimestampAndPostsMarkdown()
    {
        const string secret = "SEC0123456789abcdef";
        var time = new ManualClock(new DateTimeOffset(2025, 3, 1, 6, 0, 0, TimeSpan.Zero));
        var channel = new DingTalkRobotChannel(_receiver.Url("/robot/send?access_token=tok"), secret, _http, time);

        var result = await SendAsync(channel);

        Assert.True(result.Delivered, result.Detail);
        var request = Assert.Single(_receiver.Requests("/robot/send"));
        Assert.Equal("tok", request.Query["access_token"]);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), request.Query["timestamp"]);
        // The documented algorithm: Base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)), URL-encoded.
        var expected = Convert.ToBase64String(new HMACSHA256(Encoding.UTF8.GetBytes(secret)).ComputeHash(Encoding.UTF8.GetBytes($"{request.Query["timestamp"]}\n{secret}")));
        Assert.Equal(expected, request.Query["sign"]);
        using var json = JsonDocument.Parse(request.Body);
        Assert.Equal(["msgtype", "markdown"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("markdown", json.RootElement.GetProperty("msgtype").GetString());
        var markdown = json.RootElement.GetProperty("markdown");
        Assert.Equal(["title", "text"], markdown.EnumerateObject().Select(p => p.Name));
        Assert.Equal(_message.Subject, markdown.GetProperty("title").GetString());
        Assert.Equal(_message.Markdown, markdown.GetProperty("text").GetString());
    }

    [Fact]
    public async Task DingTalk_SignatureRejected_IsFailureWithRobotMessage()
    {
        _receiver.Script("/robot/send", (200, """{"errcode":310000,"errmsg":"sign not match"}"""));
        var channel = new DingTalkRobotChannel(_receiver.Url("/robot/send?access_token=tok"), "SECwrong", _http, TimeProvider.System);

        var result = await SendAsync(channel);

        Assert.Equal(DeliveryResult.Failed("errcode 310000: sign not match"), result);
    }

    [Fact]
    public async Task DingTalk_WithoutSecret_PostsToUrlAsIs()
    {
        var channel = new DingTalkRobotChannel(_receiver.Url("/robot/send?access_token=tok"), null, _http, TimeProvider.System);

        await SendAsync(channel);

        var request = Assert.Single(_receiver.Requests("/robot/send"));
        Assert.Equal(["access_token"], request.Query.Keys);
    }

    [Fact]
    public async Task Webhook_Send_PostsNotificationDocumentWithHeaders()
    {
        var channel = new WebhookChannel(_receiver.Url("/hooks/alerts"), new Dictionary<string, string> { ["Authorization"] = "Bearer t0ken" }, _http);

        var result = await SendAsync(channel);

        Assert.True(result.Delivered, result.Detail);
        var request = Assert.Single(_receiver.Requests("/hooks/alerts"));
        Assert.Equal("Bearer t0ken", request.Headers["Authorization"]);
        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal(
            ["alertId", "event", "site", "building", "device", "kind", "ruleId", "severity", "state", "title", "detail", "value", "at",
             "acknowledgedBy", "escalationLevel", "contact", "subject", "text"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(7, root.GetProperty("alertId").GetInt64());
        Assert.Equal("firing", root.GetProperty("event").GetString());
        Assert.Equal("critical", root.GetProperty("severity").GetString());
        Assert.Equal("A栋", root.GetProperty("building").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("detail").ValueKind);
        Assert.Equal(Trapped.At, root.GetProperty("at").GetDateTimeOffset());
        Assert.Equal("zhang", root.GetProperty("contact").GetString());
        Assert.Contains("A栋", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_ServerError_IsFailureWithStatusAndBody()
    {
        _receiver.Script("/hooks/alerts", (503, "down for maintenance"));
        var channel = new WebhookChannel(_receiver.Url("/hooks/alerts"), new Dictionary<string, string>(), _http);

        var result = await SendAsync(channel);

        Assert.Equal(DeliveryResult.Failed("HTTP 503 down for maintenance"), result);
    }

    [Fact]
    public async Task Email_Send_ReachesSmtpServerWithChineseSubjectAndBody()
    {
        await using var smtp = await SmtpSink.StartAsync(Token);
        var channel = new EmailChannel(
            new NotificationChannelOptions { Type = "email", Host = "127.0.0.1", Port = smtp.Port, From = "alerts@facilities.example" }, TimeSpan.FromSeconds(10));

        var result = await SendAsync(channel);

        Assert.True(result.Delivered, result.Detail);
        var mail = Assert.Single(await smtp.MessagesAsync(Token));
        Assert.Equal("alerts@facilities.example", mail.From);
        Assert.Equal(["zhang@example.com"], mail.To);
        Assert.Equal(_message.Subject, mail.Subject);
        Assert.Equal("text/plain", mail.ContentType);
        Assert.Equal(_message.Text, mail.Body.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Email_FixedRecipients_OverrideContactAddress()
    {
        var channel = new EmailChannel(new NotificationChannelOptions { Type = "email", Host = "127.0.0.1", From = "a@b.c", To = ["ops@example.com", "duty@example.com"] }, TimeSpan.FromSeconds(5));

        Assert.Equal("ops@example.com, duty@example.com", channel.Target(Zhang));
    }

    [Fact]
    public async Task Email_ServerRefuses_Throws()
    {
        await using var smtp = await SmtpSink.StartAsync(Token, rejectFirst: 1);
        var channel = new EmailChannel(
            new NotificationChannelOptions { Type = "email", Host = "127.0.0.1", Port = smtp.Port, From = "alerts@facilities.example" }, TimeSpan.FromSeconds(10));

        await Assert.ThrowsAsync<System.Net.Mail.SmtpException>(() => SendAsync(channel));
        Assert.Empty(await smtp.MessagesAsync(Token));
    }
}

using Facilities.Cloud.Notifications;

namespace Facilities.Cloud.Tests.Notifications;

/// <summary>Routing, the outbox and the dispatcher on SQLite and PostgreSQL, sending to a real local HTTP receiver and SMTP server.</summary>
public sealed class DeliveryTests(PostgresFixture postgres) : IAsyncLifetime
{
    private HttpReceiver _receiver = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _receiver = await HttpReceiver.StartAsync(Token);

    public async ValueTask DisposeAsync() => await _receiver.DisposeAsync();

    private Task<NotificationBed> BedAsync(string provider, NotificationOptions options) => NotificationBed.CreateAsync(provider, postgres, options, Token);

    private NotificationOptions HqAndCatchAll() => NotificationBed.OptionsFor(
        [("hq-team", NotificationBed.Webhook(_receiver.Url("/hq"))), ("duty", NotificationBed.Webhook(_receiver.Url("/duty")))],
        new NotificationRouteOptions { Name = "hq", Sites = ["hq"], MinSeverity = "warning", Escalation = ["hq-team"] },
        new NotificationRouteOptions { Name = "all", Sites = ["*"], MinSeverity = "critical", Escalation = ["duty"] });

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Enqueue_BySiteAndSeverity_QueuesForMatchingRouteOnly(string provider)
    {
        await using var bed = await BedAsync(provider, HqAndCatchAll());
        var hqWarning = await bed.InsertAlertAsync("hq", "warning", Token);
        var hqInfo = await bed.InsertAlertAsync("hq", "info", Token, device: "elevator-2");
        var northCritical = await bed.InsertAlertAsync("north", "critical", Token);
        var northWarning = await bed.InsertAlertAsync("north", "warning", Token, device: "elevator-2");

        foreach (var notice in new[] { hqWarning, hqInfo, northCritical, northWarning })
        {
            await bed.NotifyAsync(notice, Token);
        }

        var rows = await bed.RowsAsync(Token);
        Assert.Equal(
            [(hqWarning.AlertId, "hq", "hq-team", "queued"), (northCritical.AlertId, "all", "duty", "queued")],
            rows.Select(r => (r.AlertId, r.Route, r.Contact, r.State)));
        Assert.Empty(_receiver.All); // nothing is sent inside the alert's transaction
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Enqueue_SameNoticeTwice_QueuesOnce(string provider)
    {
        await using var bed = await BedAsync(provider, HqAndCatchAll());
        var notice = await bed.InsertAlertAsync("hq", "critical", Token);

        await bed.NotifyAsync(notice, Token);
        await bed.NotifyAsync(notice, Token);

        Assert.Single(await bed.RowsAsync(Token));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_Queued_SendsAndRecordsSent(string provider)
    {
        await using var bed = await BedAsync(provider, HqAndCatchAll());
        var notice = await bed.InsertAlertAsync("hq", "critical", Token);
        await bed.NotifyAsync(notice, Token);

        await bed.Dispatcher().DispatchDueAsync(Token);

        var request = Assert.Single(_receiver.Requests("/hq"));
        Assert.Contains($"\"alertId\":{notice.AlertId}", request.Body, StringComparison.Ordinal);
        var row = Assert.Single(await bed.RowsAsync(Token));
        Assert.Equal(("sent", 1L, null, NotificationBed.Start.ToUnixTimeMilliseconds()), (row.State, row.Attempts, row.LastError, row.SentAt));
        Assert.Equal([(1L, 1L, """HTTP 200 {"errcode":0,"errmsg":"ok"}""")], await bed.AttemptsAsync(row.Id, Token));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_Http500ThenErrcode_RetriesWithBackoffAndRecordsEachAttempt(string provider)
    {
        var options = NotificationBed.OptionsFor(
            [("ops", new NotificationChannelOptions { Type = "wecom", Url = _receiver.Url("/cgi-bin/webhook/send?key=k") })],
            new NotificationRouteOptions { Escalation = ["ops"] });
        await using var bed = await BedAsync(provider, options);
        _receiver.Script("/cgi-bin/webhook/send", (500, "internal error"), (200, """{"errcode":45009,"errmsg":"api freq out of limit"}"""));
        await bed.NotifyAsync(await bed.InsertAlertAsync("hq", "critical", Token), Token);
        var dispatcher = bed.Dispatcher();

        await dispatcher.DispatchDueAsync(Token);
        var first = Assert.Single(await bed.RowsAsync(Token));
        Assert.Equal(("queued", 1L, "HTTP 500 internal error"), (first.State, first.Attempts, first.LastError));
        Assert.Equal((NotificationBed.Start + TimeSpan.FromSeconds(30)).ToUnixTimeMilliseconds(), first.NextAttemptAt);

        await dispatcher.DispatchDueAsync(Token); // not due yet: no second request
        Assert.Single(_receiver.All);

        bed.Time.Advance(TimeSpan.FromSeconds(30));
        await dispatcher.DispatchDueAsync(Token);
        var second = Assert.Single(await bed.RowsAsync(Token));
        Assert.Equal(("queued", 2L, "errcode 45009: api freq out of limit"), (second.State, second.Attempts, second.LastError));
        Assert.Equal((bed.Time.GetUtcNow() + TimeSpan.FromSeconds(60)).ToUnixTimeMilliseconds(), second.NextAttemptAt);

        bed.Time.Advance(TimeSpan.FromSeconds(60));
        await dispatcher.DispatchDueAsync(Token);
        var sent = Assert.Single(await bed.RowsAsync(Token));
        Assert.Equal(("sent", 3L, null), (sent.State, sent.Attempts, sent.LastError));
        Assert.Equal(3, _receiver.Requests("/cgi-bin/webhook/send").Count);
        Assert.Equal(
            [(1L, 0L, "HTTP 500 internal error"), (2L, 0L, "errcode 45009: api freq out of limit"), (3L, 1L, """HTTP 200 {"errcode":0,"errmsg":"ok"}""")],
            await bed.AttemptsAsync(sent.Id, Token));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_FailingUntilMaxAttempts_MarksFailedAndKeepsError(string provider)
    {
        var options = HqAndCatchAll() with { MaxAttempts = 3 };
        await using var bed = await BedAsync(provider, options);
        _receiver.Script("/hq", (500, "boom"), (500, "boom"), (502, "bad gateway"), (500, "never asked"));
        await bed.NotifyAsync(await bed.InsertAlertAsync("hq", "critical", Token), Token);
        var dispatcher = bed.Dispatcher();

        for (var i = 0; i < 6; i++)
        {
            await dispatcher.DispatchDueAsync(Token);
            bed.Time.Advance(TimeSpan.FromMinutes(10));
        }

        var row = Assert.Single(await bed.RowsAsync(Token));
        Assert.Equal(("failed", 3L, "HTTP 502 bad gateway", (long?)null), (row.State, row.Attempts, row.LastError, row.SentAt));
        Assert.Equal(3, _receiver.Requests("/hq").Count);
        Assert.Equal(3, (await bed.AttemptsAsync(row.Id, Token)).Count);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_ConnectionRefused_RetriedLikeAnyFailure(string provider)
    {
        var closed = new Uri($"http://127.0.0.1:{FreePort.Next()}/nobody");
        var options = NotificationBed.OptionsFor([("gone", NotificationBed.Webhook(closed))], new NotificationRouteOptions { Escalation = ["gone"] });
        await using var bed = await BedAsync(provider, options);
        await bed.NotifyAsync(await bed.InsertAlertAsync("hq", "critical", Token), Token);

        await bed.Dispatcher().DispatchDueAsync(Token);

        var row = Assert.Single(await bed.RowsAsync(Token));
        Assert.Equal(("queued", 1L), (row.State, row.Attempts));
        Assert.StartsWith("HttpRequestException: ", row.LastError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_AllChannelTypes_ReachReceiverAndSmtpServer(string provider)
    {
        await using var smtp = await SmtpSink.StartAsync(Token);
        var options = new NotificationOptions
        {
            Channels =
            {
                ["wecom"] = new() { Type = "wecom", Url = _receiver.Url("/cgi-bin/webhook/send?key=k") },
                ["dingtalk"] = new() { Type = "dingtalk", Url = _receiver.Url("/robot/send?access_token=t"), Secret = "SECs" },
                ["hook"] = new() { Type = "webhook", Url = _receiver.Url("/hook") },
                ["mail"] = new() { Type = "email", Host = "127.0.0.1", Port = smtp.Port, From = "alerts@facilities.example" },
            },
            Contacts = { ["zhang"] = new() { Name = "张工", Channels = ["wecom", "dingtalk", "hook", "mail"], Email = ["zhang@example.com"] } },
            Routes = { new() { Escalation = ["zhang"] } },
        };
        await using var bed = await BedAsync(provider, options);
        var notice = await bed.InsertAlertAsync("hq", "critical", Token);
        await bed.NotifyAsync(notice, Token);

        await bed.Dispatcher().DispatchDueAsync(Token);

        var rows = await bed.RowsAsync(Token);
        Assert.All(rows, r => Assert.Equal("sent", r.State));
        Assert.Equal(["dingtalk", "hook", "mail", "wecom"], rows.Select(r => r.Channel).Order());
        Assert.Equal("zhang@example.com", rows.Single(r => r.Channel == "mail").Target);
        Assert.Equal($"http://127.0.0.1:{_receiver.Port}/cgi-bin/webhook/send", rows.Single(r => r.Channel == "wecom").Target);
        Assert.Single(_receiver.Requests("/cgi-bin/webhook/send"));
        Assert.Single(_receiver.Requests("/robot/send"));
        Assert.Single(_receiver.Requests("/hook"));
        var mail = Assert.Single(await smtp.MessagesAsync(Token));
        Assert.StartsWith("【严重 Critical】电梯困人 Trapped passenger — hq / A栋 / elevator-1", mail.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_TwoDispatchersOnOnePostgres_SendEachNotificationOnce()
    {
        const int alerts = 40;
        var options = HqAndCatchAll() with { Concurrency = 4 };
        await using var bed = await BedAsync("postgres", options);
        _receiver.Delay = TimeSpan.FromMilliseconds(20);
        for (var i = 0; i < alerts; i++)
        {
            await bed.NotifyAsync(await bed.InsertAlertAsync("hq", "critical", Token, device: $"elevator-{i}"), Token);
        }

        var first = bed.Dispatcher();
        var second = bed.Dispatcher();
        await Task.WhenAll(first.DispatchDueAsync(Token), second.DispatchDueAsync(Token), first.DispatchDueAsync(Token), second.DispatchDueAsync(Token));

        var rows = await bed.RowsAsync(Token);
        Assert.All(rows, r => Assert.Equal(("sent", 1L), (r.State, r.Attempts)));
        var received = _receiver.Requests("/hq").Select(r => System.Text.Json.JsonDocument.Parse(r.Body).RootElement.GetProperty("alertId").GetInt64()).ToList();
        Assert.Equal(alerts, received.Count);
        Assert.Equal(rows.Select(r => r.AlertId).Order(), received.Order());
    }
}

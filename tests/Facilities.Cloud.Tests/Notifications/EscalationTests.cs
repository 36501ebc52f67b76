using Dapper;
using Facilities.Cloud.Notifications;

namespace Facilities.Cloud.Tests.Notifications;

/// <summary>Escalation and reminders for unacknowledged critical alerts, driven by a clock the test moves, on SQLite and PostgreSQL.</summary>
public sealed class EscalationTests(PostgresFixture postgres) : IAsyncLifetime
{
    private static readonly TimeSpan EscalateAfter = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RepeatEvery = TimeSpan.FromMinutes(30);

    private HttpReceiver _receiver = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _receiver = await HttpReceiver.StartAsync(Token);

    public async ValueTask DisposeAsync() => await _receiver.DisposeAsync();

    /// <summary>One route over three contacts: the engineer on duty, the supervisor, the manager.</summary>
    private Task<NotificationBed> BedAsync(string provider, TimeSpan? repeatEvery = null) => NotificationBed.CreateAsync(
        provider,
        postgres,
        NotificationBed.OptionsFor(
            [
                ("duty", NotificationBed.Webhook(_receiver.Url("/duty"))),
                ("supervisor", NotificationBed.Webhook(_receiver.Url("/supervisor"))),
                ("manager", NotificationBed.Webhook(_receiver.Url("/manager"))),
            ],
            new NotificationRouteOptions
            {
                Name = "estate", MinSeverity = "warning", Escalation = ["duty", "supervisor", "manager"],
                EscalateAfter = EscalateAfter, RepeatEvery = repeatEvery ?? RepeatEvery,
            }),
        Token);

    private static async Task<IReadOnlyList<(string Event, string Contact, long Level, long Round)>> PagesAsync(NotificationBed bed) =>
        [.. (await bed.RowsAsync(Token)).Select(r => (r.Event, r.Contact, r.Level, r.Round))];

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Escalate_NotAcknowledgedInTime_NotifiesNextContact(string provider)
    {
        await using var bed = await BedAsync(provider);
        await bed.NotifyAsync(await bed.InsertAlertAsync("hq", "critical", Token), Token);
        var scheduler = bed.Scheduler();

        bed.Time.Advance(EscalateAfter - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await scheduler.EscalateDueAsync(Token));
        Assert.Equal([("firing", "duty", 0L, 0L)], await PagesAsync(bed));

        bed.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await scheduler.EscalateDueAsync(Token));
        Assert.Equal(0, await scheduler.EscalateDueAsync(Token)); // the same step is not taken twice
        Assert.Equal([("firing", "duty", 0L, 0L), ("escalated", "supervisor", 1L, 0L)], await PagesAsync(bed));

        bed.Time.Advance(EscalateAfter);
        Assert.Equal(1, await scheduler.EscalateDueAsync(Token));
        Assert.Equal(("escalated", "manager", 2L, 0L), (await PagesAsync(bed))[^1]);

        await bed.Dispatcher().DispatchDueAsync(Token);
        var page = Assert.Single(_receiver.Requests("/manager"));
        Assert.Contains("\"event\":\"escalated\"", page.Body, StringComparison.Ordinal);
        Assert.Contains("未确认 Unacknowledged: 20 分钟 min", page.Body, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Escalate_EntrapmentRoute_NextContactAfterFiveMinutesThenTheManager(string provider)
    {
        // An entrapment route before the general one: nobody acknowledged within 5 minutes → the next contact, then the manager.
        await using var bed = await NotificationBed.CreateAsync(
            provider,
            postgres,
            NotificationBed.OptionsFor(
                [
                    ("duty", NotificationBed.Webhook(_receiver.Url("/duty"))),
                    ("backup", NotificationBed.Webhook(_receiver.Url("/backup"))),
                    ("manager", NotificationBed.Webhook(_receiver.Url("/manager"))),
                ],
                new NotificationRouteOptions
                {
                    Name = "entrapment", Rules = ["elevator.trapped*", "elevator.passenger-alarm"], MinSeverity = "critical",
                    Escalation = ["duty", "backup", "manager"], EscalateAfter = TimeSpan.FromMinutes(5),
                },
                new NotificationRouteOptions { Name = "estate", MinSeverity = "warning", Escalation = ["duty", "manager"], EscalateAfter = EscalateAfter }),
            Token);
        await bed.NotifyAsync(await bed.InsertAlertAsync("hq", "critical", Token), Token);
        var scheduler = bed.Scheduler();

        bed.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await scheduler.EscalateDueAsync(Token));
        bed.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await scheduler.EscalateDueAsync(Token));
        Assert.Equal([("firing", "duty", 0L, 0L), ("escalated", "backup", 1L, 0L), ("escalated", "manager", 2L, 0L)], await PagesAsync(bed));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Escalate_AtLastContact_RepeatsEveryInterval(string provider)
    {
        await using var bed = await BedAsync(provider);
        await bed.NotifyAsync(await bed.InsertAlertAsync("hq", "critical", Token), Token);
        var scheduler = bed.Scheduler();
        for (var i = 0; i < 2; i++)
        {
            bed.Time.Advance(EscalateAfter);
            await scheduler.EscalateDueAsync(Token);
        }

        bed.Time.Advance(RepeatEvery - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await scheduler.EscalateDueAsync(Token));
        bed.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await scheduler.EscalateDueAsync(Token));
        bed.Time.Advance(RepeatEvery);
        Assert.Equal(1, await scheduler.EscalateDueAsync(Token));

        Assert.Equal(
            [("firing", "duty", 0L, 0L), ("escalated", "supervisor", 1L, 0L), ("escalated", "manager", 2L, 0L), ("repeated", "manager", 2L, 1L), ("repeated", "manager", 2L, 2L)],
            await PagesAsync(bed));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Acknowledge_StopsEscalationAndTellsEveryonePaged(string provider)
    {
        await using var bed = await BedAsync(provider);
        var notice = await bed.InsertAlertAsync("hq", "critical", Token);
        await bed.NotifyAsync(notice, Token);
        var scheduler = bed.Scheduler();
        bed.Time.Advance(EscalateAfter);
        await scheduler.EscalateDueAsync(Token);

        await bed.AcknowledgeAsync(notice, "张工", Token);
        for (var i = 0; i < 6; i++)
        {
            bed.Time.Advance(EscalateAfter);
            Assert.Equal(0, await scheduler.EscalateDueAsync(Token));
        }

        Assert.Equal(
            [("firing", "duty", 0L, 0L), ("escalated", "supervisor", 1L, 0L), ("acknowledged", "duty", 0L, 0L), ("acknowledged", "supervisor", 1L, 0L)],
            await PagesAsync(bed));
        await bed.Dispatcher().DispatchDueAsync(Token);
        Assert.Empty(_receiver.Requests("/manager"));
        var acknowledged = Assert.Single(_receiver.Requests("/supervisor"), r => r.Body.Contains("\"event\":\"acknowledged\"", StringComparison.Ordinal));
        Assert.Contains("确认人 By: 张工", acknowledged.Body, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Escalate_AcknowledgedWithoutNotice_StopsOnAlertState(string provider)
    {
        await using var bed = await BedAsync(provider);
        var notice = await bed.InsertAlertAsync("hq", "critical", Token);
        await bed.NotifyAsync(notice, Token);
        await using (var connection = await bed.Database.OpenAsync(Token))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE alerts SET state = 'resolved', resolved_at = 1 WHERE id = @AlertId", new { notice.AlertId }, cancellationToken: Token));
        }

        bed.Time.Advance(EscalateAfter);
        Assert.Equal(0, await bed.Scheduler().EscalateDueAsync(Token));

        Assert.Equal([("firing", "duty", 0L, 0L)], await PagesAsync(bed));
        await using var check = await bed.Database.OpenAsync(Token);
        Assert.Equal("alert resolved", await check.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT stopped FROM alert_escalations WHERE alert_id = @AlertId AND next_at IS NULL", new { notice.AlertId }, cancellationToken: Token)));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Escalate_WarningAlert_DoesNotEscalate(string provider)
    {
        await using var bed = await BedAsync(provider);
        await bed.NotifyAsync(await bed.InsertAlertAsync("hq", "warning", Token), Token);

        bed.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await bed.Scheduler().EscalateDueAsync(Token));

        Assert.Equal([("firing", "duty", 0L, 0L)], await PagesAsync(bed));
    }

    [Fact]
    public async Task Escalate_TwoSchedulersOnOnePostgres_EachStepOnce()
    {
        await using var bed = await BedAsync("postgres");
        const int alerts = 20;
        for (var i = 0; i < alerts; i++)
        {
            await bed.NotifyAsync(await bed.InsertAlertAsync("hq", "critical", Token, device: $"elevator-{i}"), Token);
        }

        bed.Time.Advance(EscalateAfter);
        var steps = await Task.WhenAll(bed.Scheduler().EscalateDueAsync(Token), bed.Scheduler().EscalateDueAsync(Token), bed.Scheduler().EscalateDueAsync(Token));

        Assert.Equal(alerts, steps.Sum());
        var escalated = (await bed.RowsAsync(Token)).Where(r => r.Event == "escalated").ToList();
        Assert.Equal(alerts, escalated.Count);
        Assert.Equal(alerts, escalated.Select(r => r.AlertId).Distinct().Count());
        Assert.All(escalated, r => Assert.Equal(("supervisor", 1L), (r.Contact, r.Level)));
    }
}

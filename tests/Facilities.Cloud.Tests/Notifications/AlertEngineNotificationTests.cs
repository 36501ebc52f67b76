using Facilities.Cloud.Alerts;
using Facilities.Cloud.Devices;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Rules;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.Notifications;

/// <summary>The real alert engine calling the notifier in its ingestion transaction: a gateway's fault event ends as a robot message.</summary>
public sealed class AlertEngineNotificationTests(PostgresFixture postgres) : IAsyncLifetime
{
    private HttpReceiver _receiver = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _receiver = await HttpReceiver.StartAsync(Token);

    public async ValueTask DisposeAsync() => await _receiver.DisposeAsync();

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TrappedPassenger_FiresAndClears_WeComGroupHearsBoth(string provider)
    {
        var options = NotificationBed.OptionsFor(
            [("ops", new NotificationChannelOptions { Type = "wecom", Url = _receiver.Url("/cgi-bin/webhook/send?key=k") })],
            new NotificationRouteOptions { Sites = [Messages.Site], MinSeverity = "warning", Escalation = ["ops"] });
        await using var bed = await NotificationBed.CreateAsync(provider, postgres, options, Token);
        var rules = new RuleSet(RuleFiles.LoadFile(Path.Combine(AppContext.BaseDirectory, "rulesets", "default-rules.json")));
        var store = new AlertStore(bed.Database, new AlertLifecycle(new FlapPolicy(3, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(15))), [bed.Notifier], NullLogger<AlertStore>.Instance);
        var engine = new AlertEngine(rules, new RulesOptions(), new MaintenanceSchedule(), store);
        var pipeline = new IngestPipeline(bed.Database, [new DeviceRegistry(), engine], new IngestMetrics(), bed.Time, NullLogger<IngestPipeline>.Instance);
        var at = bed.Time.GetUtcNow();

        await pipeline.ProcessAsync([Messages.Event(1, at, "lift-1", "elevator", "fault_code", 1, "trapped-at-floor")], Token);
        await bed.Dispatcher().DispatchDueAsync(Token);
        bed.Time.Advance(TimeSpan.FromMinutes(3));
        await pipeline.ProcessAsync([Messages.Event(2, bed.Time.GetUtcNow(), "lift-1", "elevator", "fault_code", 0, "none")], Token);
        await bed.Dispatcher().DispatchDueAsync(Token);

        Assert.Equal([("firing", "sent"), ("resolved", "sent")], (await bed.RowsAsync(Token)).Select(r => (r.Event, r.State)));
        var messages = _receiver.Requests("/cgi-bin/webhook/send").Select(r => System.Text.Json.JsonDocument.Parse(r.Body).RootElement.GetProperty("markdown").GetProperty("content").GetString()).ToList();
        Assert.Equal(2, messages.Count);
        Assert.StartsWith("### 【严重 Critical】", messages[0], StringComparison.Ordinal);
        Assert.Contains("lift-1", messages[0], StringComparison.Ordinal);
        Assert.StartsWith("### 【已恢复 Resolved】", messages[1], StringComparison.Ordinal);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Tests.Alerts;
using Facilities.Cloud.Tests.EndToEnd;
using Facilities.Cloud.Tests.Notifications;
using Facilities.Cloud.WorkOrders;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.WorkOrders;

/// <summary>
/// The whole cloud (Mosquitto; SQLite and PostgreSQL) posting every work-order change to a real HTTP receiver on
/// 127.0.0.1: signed, retried after a failure, each event once by id.
/// </summary>
public sealed class WorkOrderWebhookTests(PostgresFixture postgres)
{
    private const string Secret = "s3cret-for-the-maintenance-system";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task EveryChange_ReachesTheReceiver_Signed_WithRetries_AndOneEventIdEach(string provider)
    {
        await using var receiver = await HttpReceiver.StartAsync(Ct);
        receiver.Script("/hook", (503, "busy"), (500, "still busy"));
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        var clock = new ManualClock(AlertHarness.Start);
        var settings = new Dictionary<string, string?>
        {
            ["WorkOrders:Teams:elevator:estate"] = "Li Ming",
            ["WorkOrders:Webhook:Url"] = receiver.Url("/hook").ToString(),
            ["WorkOrders:Webhook:Secret"] = Secret,
            ["WorkOrders:Webhook:PollInterval"] = "00:00:00.050",
            ["WorkOrders:Webhook:RetryBaseDelay"] = "00:00:01",
        };
        if (provider == "postgres")
        {
            settings["Storage:Provider"] = "postgres";
            settings["Storage:ConnectionString"] = await postgres.Server.CreateDatabaseAsync(Ct);
        }

        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, settings, clock);
        var pipeline = cloud.Services.GetRequiredService<IngestPipeline>();
        await pipeline.ProcessAsync([Messages.Event(1, clock.GetUtcNow(), "lift-1", "elevator", "fault_code", 1, "trapped-at-floor")], Ct);
        clock.Advance(TimeSpan.FromMinutes(3));
        await pipeline.ProcessAsync([Messages.Event(2, clock.GetUtcNow(), "lift-1", "elevator", "fault_code", 0, "none")], Ct);
        clock.Advance(TimeSpan.FromMinutes(3));
        await pipeline.ProcessAsync([Messages.Event(3, clock.GetUtcNow(), "lift-1", "elevator", "fault_code", 1, "trapped-at-floor")], Ct);
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(1, await cloud.Services.GetRequiredService<SlaMonitor>().CheckAsync(Ct));
        var id = await cloud.CountAsync("SELECT id FROM work_orders");
        foreach (var (action, body) in new (string, object)[]
        {
            ("assign", new { by = "dispatch", assignee = "Zhao Lei" }), ("start", new { by = "Zhao Lei" }), ("note", new { by = "Zhao Lei", text = "on site" }),
            ("resolve", new { by = "Zhao Lei", note = "door operator reset" }), ("close", new { by = "dispatch" }),
        })
        {
            using var response = await cloud.Http.PostAsJsonAsync($"/api/work-orders/{id}/{action}", body, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        string[] expected =
        [
            "workorder.opened", "workorder.assigned", "workorder.fault-cleared", "workorder.recurred", "workorder.sla-breached",
            "workorder.assigned", "workorder.started", "workorder.note", "workorder.resolved", "workorder.closed",
        ];
        await Eventually.HoldsAsync(
            () => Task.FromResult(Delivered(receiver).Count >= expected.Length), "every change delivered", TimeSpan.FromSeconds(30), Ct, TimeSpan.FromMilliseconds(100),
            () => clock.Advance(TimeSpan.FromSeconds(1))); // the retry delays run on the cloud's clock

        // Deliveries are not held back behind a failing one; the sequence number restores the order.
        var delivered = Delivered(receiver).OrderBy(e => e.Sequence).ToList();
        Assert.Equal(expected, delivered.Select(e => e.Type));
        Assert.Equal(expected.Length, delivered.Select(e => e.Id).Distinct().Count());
        Assert.Equal(("closed", "Zhao Lei"), (delivered[^1].Order.Status, delivered[^1].Order.Assignee));
        Assert.Equal(("elevator.trapped-at-floor", "corrective", "assigned"), (delivered[0].Order.RuleId, delivered[0].Order.Type, delivered[0].Order.Status));

        // The two refused requests were tried again later with the same event id (the receiver's dedupe key).
        var all = receiver.Requests("/hook");
        Assert.Equal(expected.Length + 2, all.Count);
        Assert.All(all.Take(2), refused => Assert.Contains(all.Skip(2), r => r.Headers[WorkOrderWebhookStore.EventIdHeader] == refused.Headers[WorkOrderWebhookStore.EventIdHeader]));
        Assert.All(all, r =>
        {
            Assert.Equal(WorkOrderWebhookStore.Signature(Secret, long.Parse(r.Headers[WorkOrderWebhookStore.TimestampHeader], System.Globalization.CultureInfo.InvariantCulture), r.Body),
                r.Headers[WorkOrderWebhookStore.SignatureHeader]);
            Assert.Equal(JsonDocument.Parse(r.Body).RootElement.GetProperty("type").GetString(), r.Headers[WorkOrderWebhookStore.EventHeader]);
        });
        Assert.Equal(expected.Length, await cloud.CountAsync("SELECT COUNT(*) FROM work_order_webhooks WHERE state = 'delivered'"));
        Assert.Equal(expected.Length + 2, await cloud.CountAsync("SELECT SUM(attempts) FROM work_order_webhooks"));
    }

    [Fact]
    public void Signature_IsHmacSha256OfTimestampDotBody_InLowercaseHex()
    {
        // Independent reference: the same MAC computed by the platform's HMAC class over the documented input.
        using var hmac = new System.Security.Cryptography.HMACSHA256("key-0123456789abcdef"u8.ToArray());
        var reference = "sha256=" + Convert.ToHexString(hmac.ComputeHash("1700000000.{\"a\":1}"u8.ToArray())).ToLowerInvariant();
        Assert.Equal(reference, WorkOrderWebhookStore.Signature("key-0123456789abcdef", 1700000000, "{\"a\":1}"));
        Assert.NotEqual(reference, WorkOrderWebhookStore.Signature("key-0123456789abcdef", 1700000001, "{\"a\":1}"));
    }

    /// <summary>The events the receiver accepted (all but the two scripted refusals, which answer the first two requests).</summary>
    private static List<WorkOrderWebhookEvent> Delivered(HttpReceiver receiver)
    {
        var requests = receiver.Requests("/hook");
        var accepted = requests.Skip(2); // the two scripted refusals answer the first two requests
        return [.. accepted.Select(r => JsonSerializer.Deserialize<WorkOrderWebhookEvent>(r.Body, JsonSerializerOptions.Web)!).DistinctBy(e => e.Id)];
    }
}

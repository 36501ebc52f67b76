using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Tests.Alerts;
using Facilities.Cloud.Tests.EndToEnd;
using Facilities.Cloud.WorkOrders;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.WorkOrders;

/// <summary>
/// An entrapment's work order through the API (whole cloud, Mosquitto; SQLite and PostgreSQL): the crew's arrival and
/// the passenger's release are recorded on the timeline, the 30-minute deadline is met by the arrival, not by "start",
/// and the arrival acknowledges the entrapment alert.
/// </summary>
public sealed class EntrapmentRescueApiTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task RescueOrder_StartedButNobodyArrives_BreachesTheArrivalDeadline_ThenArriveAndReleaseAreRecorded(string provider)
    {
        var clock = new ManualClock(AlertHarness.Start);
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await StartAsync(broker.Port, provider, clock, new Dictionary<string, string?>());
        var pipeline = cloud.Services.GetRequiredService<IngestPipeline>();
        await pipeline.ProcessAsync([Messages.Event(1, clock.GetUtcNow(), "lift-1", "elevator", "fault_code", 1, "trapped-at-floor")], Ct);
        var id = await cloud.CountAsync("SELECT id FROM work_orders");
        var order = await OrderAsync(cloud, id);
        Assert.True(order.GetProperty("rescue").GetBoolean());
        Assert.Equal(AlertHarness.Start.AddMinutes(30), order.GetProperty("respondBy").GetDateTimeOffset());

        // "Start" from the office is not an arrival: the deadline still runs.
        var crew = await cloud.ClientForAsync("Zhao Lei", "crew");
        Assert.Equal(HttpStatusCode.OK, await PostAsync(crew, id, "start"));
        Assert.Equal(JsonValueKind.Null, (await OrderAsync(cloud, id)).GetProperty("respondedAt").ValueKind);
        clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(1, await cloud.Services.GetRequiredService<SlaMonitor>().CheckAsync(Ct));
        Assert.Equal(["respond"], (await OrderAsync(cloud, id)).GetProperty("breached").EnumerateArray().Select(b => b.GetString()));

        Assert.Equal(1, await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE rule_id = 'elevator.trapped-at-floor' AND state = 'firing'"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(crew, id, "arrive"));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(crew, id, "arrive"));

        // The arrival acknowledges the entrapment alert in the crew member's name (its escalation stops).
        Assert.Equal(1, await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE rule_id = 'elevator.trapped-at-floor' AND state = 'acknowledged' AND acknowledged_by = 'Zhao Lei'"));
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(crew, id, "release"));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(crew, id, "release"));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(crew, id, "resolve"));

        var detail = JsonDocument.Parse(await cloud.Http.GetStringAsync(new Uri($"/api/work-orders/{id}", UriKind.Relative), Ct)).RootElement;
        var view = detail.GetProperty("order");
        Assert.Equal(AlertHarness.Start.AddMinutes(31), view.GetProperty("arrivedAt").GetDateTimeOffset());
        Assert.Equal(AlertHarness.Start.AddMinutes(31), view.GetProperty("respondedAt").GetDateTimeOffset());
        Assert.Equal(AlertHarness.Start.AddMinutes(35), view.GetProperty("releasedAt").GetDateTimeOffset());
        Assert.Equal(
            [("in_progress", "Zhao Lei"), ("arrived", "Zhao Lei"), ("alert-acknowledged", "Zhao Lei"), ("passenger-released", "Zhao Lei"), ("resolved", "Zhao Lei")],
            detail.GetProperty("timeline").EnumerateArray().Select(e => (e.GetProperty("action").GetString(), e.GetProperty("actor").GetString()))
                .Where(e => e.Item2 == "Zhao Lei"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task RescueOrder_AtASiteOutsideTheCity_HasAnHourToArrive(string provider)
    {
        var clock = new ManualClock(AlertHarness.Start);
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await StartAsync(broker.Port, provider, clock, new Dictionary<string, string?> { [$"WorkOrders:Rescue:Sites:{Messages.Site}:OutsideCity"] = "true" });
        await cloud.Services.GetRequiredService<IngestPipeline>().ProcessAsync(
            [Messages.Event(1, clock.GetUtcNow(), "lift-1", "elevator", "fault_code", 2, "trapped-between-floors")], Ct);
        var order = await OrderAsync(cloud, await cloud.CountAsync("SELECT id FROM work_orders"));
        Assert.Equal(AlertHarness.Start.AddHours(1), order.GetProperty("respondBy").GetDateTimeOffset());
    }

    [Fact]
    public async Task RescueSteps_OnAnOrderThatIsNoRescue_AreRefused()
    {
        var clock = new ManualClock(AlertHarness.Start);
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await StartAsync(broker.Port, "sqlite", clock, new Dictionary<string, string?>());
        await cloud.Services.GetRequiredService<IngestPipeline>().ProcessAsync(
            [Messages.Event(1, clock.GetUtcNow(), "lift-1", "elevator", "fault_code", 9, "door-lock-open")], Ct);
        var id = await cloud.CountAsync("SELECT id FROM work_orders");
        Assert.False((await OrderAsync(cloud, id)).GetProperty("rescue").GetBoolean());
        using var response = await cloud.Http.PostAsJsonAsync(new Uri($"/api/work-orders/{id}/arrive", UriKind.Relative), new { }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("no rescue order", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // An ordinary order's "start" still counts as the response.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(cloud.Http, id, "start"));
        Assert.Equal(JsonValueKind.String, (await OrderAsync(cloud, id)).GetProperty("respondedAt").ValueKind);
    }

    private async Task<CloudHost> StartAsync(int brokerPort, string provider, ManualClock clock, Dictionary<string, string?> settings)
    {
        settings["WorkOrders:Teams:elevator:estate"] = "Li Ming";
        if (provider == "postgres")
        {
            settings["Storage:Provider"] = "postgres";
            settings["Storage:ConnectionString"] = await postgres.Server.CreateDatabaseAsync(Ct);
        }

        return await CloudHost.StartAsync(brokerPort, Ct, settings, clock);
    }

    private static async Task<JsonElement> OrderAsync(CloudHost cloud, long id) =>
        JsonDocument.Parse(await cloud.Http.GetStringAsync(new Uri($"/api/work-orders/{id}", UriKind.Relative), Ct)).RootElement.GetProperty("order");

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, long id, string action)
    {
        using var response = await client.PostAsJsonAsync(new Uri($"/api/work-orders/{id}/{action}", UriKind.Relative), new { }, Ct);
        return response.StatusCode;
    }
}

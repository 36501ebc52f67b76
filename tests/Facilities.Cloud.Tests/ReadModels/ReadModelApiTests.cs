using System.Net;
using System.Text.Json;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Tests.Alerts;
using Facilities.Cloud.Tests.EndToEnd;
using Facilities.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.ReadModels;

/// <summary>The whole cloud (Mosquitto; SQLite and PostgreSQL) fed contract messages: the charger and elevator read models over HTTP.</summary>
public sealed class ReadModelApiTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset Start = AlertHarness.Start;

    private async Task<(MosquittoBroker Broker, CloudHost Cloud)> StartAsync(string provider, ManualClock clock, Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        if (provider == "postgres")
        {
            settings["Storage:Provider"] = "postgres";
            settings["Storage:ConnectionString"] = await postgres.Server.CreateDatabaseAsync(Ct);
        }

        var broker = await MosquittoBroker.StartAsync(Ct);
        return (broker, await CloudHost.StartAsync(broker.Port, Ct, settings, clock));
    }

    private static Task<IngestOutcome[]> SendAsync(CloudHost cloud, params RawMessage[] messages) => cloud.Services.GetRequiredService<IngestPipeline>().ProcessAsync(messages, Ct);

    private static async Task<JsonElement> GetJsonAsync(CloudHost cloud, string path)
    {
        using var response = await cloud.Http.GetAsync(new Uri(path, UriKind.Relative), Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
    }

    private static async Task<JsonElement> ProblemAsync(CloudHost cloud, string path, HttpStatusCode expected)
    {
        using var response = await cloud.Http.GetAsync(new Uri(path, UriKind.Relative), Ct);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Chargers_ShowEachPortsState_AndUnknownOnceTheShedGoesOffline(string provider)
    {
        var clock = new ManualClock(Start);
        var (broker, cloud) = await StartAsync(provider, clock);
        await using var brokerLifetime = broker;
        await using var cloudLifetime = cloud;
        await SendAsync(cloud,
            Messages.Status(1, Start, "online"),
            Messages.Telemetry(2, Start, "shed-1", "charger-shed", new Dictionary<string, double>
            {
                ["port_count"] = 3, ["mains_ok"] = 1, ["port_1_status"] = 0, ["port_2_status"] = 1, ["port_2_minutes_to_full"] = 45, ["port_3_status"] = 2,
                ["port_1_energy"] = 1234,
            }),
            Messages.Telemetry(3, Start, "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = 3 }));

        var sites = await GetJsonAsync(cloud, "/api/sites");
        var site = Assert.Single(sites.EnumerateArray().ToList());
        Assert.Equal(("estate", 1, 1), (site.GetProperty("site").GetString(), site.GetProperty("chargerSheds").GetInt32(), site.GetProperty("elevators").GetInt32()));

        var chargers = await GetJsonAsync(cloud, "/api/sites/estate/chargers");
        Assert.Equal((1, 3), (chargers.GetProperty("free").GetInt32(), chargers.GetProperty("total").GetInt32()));
        var shed = Assert.Single(chargers.GetProperty("sheds").EnumerateArray().ToList());
        Assert.Equal(("shed-1", "available", "1 of 3 free"), (shed.GetProperty("shed").GetString(), shed.GetProperty("status").GetString(), shed.GetProperty("summary").GetString()));
        var ports = shed.GetProperty("ports").EnumerateArray().ToList();
        Assert.Equal(["free", "charging", "finished"], ports.Select(p => p.GetProperty("state").GetString()));
        Assert.Equal(Start.AddMinutes(45), ports[1].GetProperty("expectedFreeAt").GetDateTimeOffset());
        Assert.DoesNotContain("1234", chargers.GetRawText(), StringComparison.Ordinal); // session details stay private

        // A port fault, then the shed drops off the bus: every port unknown, none free.
        clock.Advance(TimeSpan.FromMinutes(1));
        await SendAsync(cloud, Messages.Event(4, clock.GetUtcNow(), "shed-1", "charger-shed", "port_1_fault_code", 1, "overcurrent"));
        var faulted = await GetJsonAsync(cloud, "/api/sites/estate/chargers");
        Assert.Equal("fault", faulted.GetProperty("sheds")[0].GetProperty("ports")[0].GetProperty("state").GetString());
        Assert.Equal(0, faulted.GetProperty("free").GetInt32());

        await SendAsync(cloud, Messages.State(5, clock.GetUtcNow(), "shed-1", "charger-shed", "offline"));
        var offline = await GetJsonAsync(cloud, "/api/sites/estate/chargers");
        var offlineShed = offline.GetProperty("sheds")[0];
        Assert.Equal("offline", offlineShed.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, offlineShed.GetProperty("free").ValueKind);
        Assert.All(offlineShed.GetProperty("ports").EnumerateArray(), p => Assert.Equal("unknown", p.GetProperty("state").GetString()));
        Assert.Equal((0, 0, 1), (offline.GetProperty("free").GetInt32(), offline.GetProperty("total").GetInt32(), offline.GetProperty("shedsUnknown").GetInt32()));

        // Back online, then silent past StaleAfter: stale, unknown again.
        await SendAsync(cloud, Messages.State(6, clock.GetUtcNow(), "shed-1", "charger-shed", "online"));
        Assert.Equal("available", (await GetJsonAsync(cloud, "/api/sites/estate/chargers")).GetProperty("sheds")[0].GetProperty("status").GetString());
        clock.Advance(TimeSpan.FromMinutes(12));
        Assert.Equal("stale", (await GetJsonAsync(cloud, "/api/sites/estate/chargers")).GetProperty("sheds")[0].GetProperty("status").GetString());

        var problem = await ProblemAsync(cloud, "/api/sites/nowhere/chargers", HttpStatusCode.NotFound);
        Assert.Contains("nowhere", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task ElevatorHealth_ReportsStatusUsageFaultsOrders_AndExplainsItsScore(string provider)
    {
        var clock = new ManualClock(Start.AddDays(-1));
        // The preventive scheduler off: its first pass at start-up would race with the first messages and sometimes open a
        // half-monthly order, which changes the score (preventive orders have their own tests).
        var (broker, cloud) = await StartAsync(provider, clock, new() { ["WorkOrders:Teams:elevator:estate"] = "Li Ming", ["WorkOrders:Preventive:Enabled"] = "false" });
        await using var brokerLifetime = broker;
        await using var cloudLifetime = cloud;
        var yesterday = Start.AddDays(-1);
        clock.Set(yesterday.AddHours(2)); // they arrive after the last one was sampled: ingestion refuses readings from the future
        await SendAsync(cloud,
            Messages.Status(1, yesterday, "online"),
            Messages.Telemetry(2, yesterday, "lift-1", "elevator", new Dictionary<string, double> { ["trips"] = 1000, ["door_cycles"] = 2000 }),
            Messages.Telemetry(3, yesterday.AddHours(2), "lift-1", "elevator", new Dictionary<string, double> { ["trips"] = 1120, ["door_cycles"] = 2250 }));
        clock.Set(Start);
        await SendAsync(cloud,
            Messages.Telemetry(4, Start.AddMinutes(-30), "lift-1", "elevator",
                new Dictionary<string, double> { ["trips"] = 1150, ["door_cycles"] = 2310, ["service_mode"] = 0, ["floor"] = 4, ["direction"] = 0, ["door_state"] = 0, ["moving"] = 0 },
                new Dictionary<string, string> { ["service_mode"] = "normal", ["direction"] = "stopped", ["door_state"] = "closed" }),
            Messages.Event(5, Start, "lift-1", "elevator", "fault_code", 1, "trapped-at-floor"));

        var health = await GetJsonAsync(cloud, "/api/elevators/lift-1/health?days=2");
        Assert.Equal(("estate", "lift-1"), (health.GetProperty("site").GetString(), health.GetProperty("device").GetString()));
        var status = health.GetProperty("status");
        Assert.Equal(("online", "normal", 4, "closed", false, "trapped-at-floor"),
            (status.GetProperty("link").GetString(), status.GetProperty("serviceMode").GetString(), status.GetProperty("floor").GetInt32(),
             status.GetProperty("door").GetString(), status.GetProperty("running").GetBoolean(), status.GetProperty("fault").GetString()));
        var usage = health.GetProperty("usage").EnumerateArray().ToList();
        Assert.Equal([(120L, 250L), (30L, 60L)], usage.Select(u => (u.GetProperty("trips").GetInt64(), u.GetProperty("doorCycles").GetInt64())));
        Assert.Equal(1, health.GetProperty("faults").GetProperty("count").GetInt32());
        Assert.Equal(720, health.GetProperty("faults").GetProperty("meanHoursBetweenFaults").GetDouble());
        var order = Assert.Single(health.GetProperty("openWorkOrders").EnumerateArray().ToList());
        Assert.Equal(("corrective", "elevator.trapped-at-floor"), (order.GetProperty("type").GetString(), order.GetProperty("ruleId").GetString()));
        var reasons = health.GetProperty("reasons").EnumerateArray().Select(r => (r.GetProperty("code").GetString(), r.GetProperty("points").GetInt32())).ToList();
        Assert.Equal([("fault-active", 30), ("maintenance-unknown", 10), ("faults-30d", 8), ("open-work-orders", 5)], reasons);
        Assert.Equal(100 - 53, health.GetProperty("score").GetInt32());

        // The crew list: sickest first, with the same score.
        await SendAsync(cloud, Messages.Telemetry(6, Start, "lift-2", "elevator", new Dictionary<string, double> { ["floor"] = 1, ["fault_code"] = 0 }));
        var list = (await GetJsonAsync(cloud, "/api/elevators?site=estate")).EnumerateArray().ToList();
        Assert.Equal(["lift-1", "lift-2"], list.Select(e => e.GetProperty("device").GetString()));
        Assert.Equal((47, 1), (list[0].GetProperty("score").GetInt32(), list[0].GetProperty("openWorkOrders").GetInt32()));

        // The same id on another site: the site must be named.
        await SendAsync(cloud, new RawMessage(Topics.Telemetry("other", "gw-9", "lift-1"),
            MessageJson.Serialize(new TelemetryMessage(Schema.Version, 1, Start, "lift-1", "elevator", "b01", new Dictionary<string, double> { ["floor"] = 2 }))));
        var ambiguous = await ProblemAsync(cloud, "/api/elevators/lift-1/health", HttpStatusCode.BadRequest);
        Assert.Contains("estate, other", ambiguous.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("other", (await GetJsonAsync(cloud, "/api/elevators/lift-1/health?site=other")).GetProperty("site").GetString());
        await ProblemAsync(cloud, "/api/elevators/lift-9/health?site=estate", HttpStatusCode.NotFound);
        await ProblemAsync(cloud, "/api/elevators/lift-1/health?site=nowhere", HttpStatusCode.NotFound);
        await ProblemAsync(cloud, "/api/elevators/lift-1/health?site=estate&days=0", HttpStatusCode.BadRequest);
        await ProblemAsync(cloud, "/api/elevators?site=nowhere", HttpStatusCode.NotFound);

        var openApi = (await GetJsonAsync(cloud, "/openapi/v1.json")).GetProperty("paths");
        Assert.True(openApi.TryGetProperty("/api/elevators/{deviceId}/health", out _));
        Assert.True(openApi.TryGetProperty("/api/sites/{site}/chargers", out _));
    }
}

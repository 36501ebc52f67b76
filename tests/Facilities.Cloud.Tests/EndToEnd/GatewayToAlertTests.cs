using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>
/// firmware-sim devices, polled by the real gateway, published through a real Mosquitto, consumed by the whole cloud:
/// a fault becomes one alert that an engineer acknowledges through the API, and a gateway that goes away becomes one
/// "gateway offline" alert.
/// </summary>
public sealed class GatewayToAlertTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cloud-e2e-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CommunityFile Community() => new()
    {
        Name = "e2e",
        Sites = [new SiteEntry { Id = "estate", Buildings = [new BuildingEntry { Id = "b01" }] }],
        Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
        Devices =
        [
            new DeviceEntry { Id = "lift", Kind = "elevator", Site = "estate", Building = "b01", Bus = "tcp", Unit = 1, Count = 2 },
            new DeviceEntry { Id = "aed", Kind = "aed-cabinet", Site = "estate", Building = "b01", Bus = "tcp", Unit = 5, Count = 1 },
        ],
    };

    private LoadedSite Site(CommunityHost community)
    {
        var endpoint = community.Buses.Single().Endpoint.Split(':');
        var json = JsonSerializer.Serialize(new
        {
            site = "estate",
            gateway = "gw-e2e",
            buses = new object[] { new { id = "tcp", type = "tcp", host = endpoint[0], port = int.Parse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture) } },
            devices = new object[]
            {
                new { id = "lift", bus = "tcp", unit = 1, count = 2, profile = "facilities-sim-elevator", building = "b01" },
                new { id = "aed", bus = "tcp", unit = 5, count = 1, profile = "facilities-sim-aed-cabinet", building = "b01" },
            },
        });
        var path = Path.Combine(_directory, "site.json");
        File.WriteAllText(path, json);
        return SiteLoader.Load(path, Path.Combine(AppContext.BaseDirectory, "profiles"));
    }

    [Fact]
    public async Task TrappedPassenger_BecomesOneAlert_AcknowledgedThroughTheApi_AndAGatewayCutIsOneAlert()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var influx = await InfluxServer.StartAsync(Ct);
        await influx.CreateDatabaseAsync("facilities", Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, CloudHost.InfluxSettings(influx));
        await using var community = await CommunityHost.StartAsync(Community(), TimeProvider.System, NullLogger.Instance, Ct);
        var options = new GatewayOptions { DataDirectory = Path.Combine(_directory, "gateway"), MetricsPort = 0 };
        var runtime = GatewayRuntime.Start(Site(community), options, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);
        try
        {
            await WaitForAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM devices WHERE state = 'online'") == 3, "three devices online in the cloud");

            var injected = Stopwatch.StartNew();
            community.Find("lift-2")!.Inject("trapped-at-floor", community.Clock.Now);
            var alert = await WaitForAlertAsync(cloud, "elevator.trapped-at-floor", "firing");
            injected.Stop();
            Assert.Equal(("lift-2", "critical", "b01"), (alert.GetProperty("device").GetString(), alert.GetProperty("severity").GetString(), alert.GetProperty("building").GetString()));
            Assert.True(injected.Elapsed < TimeSpan.FromSeconds(10), $"fault to alert took {injected.Elapsed}");

            // The engineer acknowledges (the actor is the signed-in user, whatever the body says); a crew member may not.
            var id = alert.GetProperty("id").GetInt64();
            var crew = await cloud.ClientForAsync("crew-zhao", "crew");
            using (var refused = await crew.PostAsJsonAsync($"/api/alerts/{id}/acknowledge", new { note = "seen" }, Ct))
            {
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            }

            var engineer = await cloud.ClientForAsync("engineer-wang", "engineer");
            using (var ack = await engineer.PostAsJsonAsync($"/api/alerts/{id}/acknowledge", new { by = "someone-else", note = "on my way" }, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            }

            using (var again = await cloud.Http.PostAsJsonAsync($"/api/alerts/{id}/acknowledge", new { note = "me too" }, Ct))
            {
                Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
                Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
            }

            using (var bad = await cloud.Http.GetAsync("/api/alerts?state=burning", Ct))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            }

            var detail = JsonDocument.Parse(await cloud.Http.GetStringAsync($"/api/alerts/{id}", Ct)).RootElement;
            Assert.Equal("acknowledged", detail.GetProperty("alert").GetProperty("state").GetString());
            Assert.Equal("engineer-wang", detail.GetProperty("alert").GetProperty("acknowledgedBy").GetString());
            Assert.Equal(["fired", "acknowledged"], detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("action").GetString()));

            // The AED taken out: critical at once.
            (community.Find("aed") ?? community.Find("aed-1"))!.Inject("aed-removed", community.Clock.Now);
            await WaitForAlertAsync(cloud, "aed.removed", "firing");

            // The fault clears: the alert resolves by itself; only one trapped-passenger alert ever existed.
            community.Find("lift-2")!.Clear("trapped-at-floor", community.Clock.Now);
            await WaitForAlertAsync(cloud, "elevator.trapped-at-floor", "resolved");
            Assert.Equal(1, await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE rule_id = 'elevator.trapped-at-floor'"));
        }
        finally
        {
            // The gateway stops (its connection ends with the last will): one gateway alert, no per-device alerts.
            await runtime.DisposeAsync();
        }

        var gateway = await WaitForAlertAsync(cloud, "gateway.offline", "firing");
        Assert.Equal("gateway:gw-e2e", gateway.GetProperty("device").GetString());
        await Task.Delay(1500, Ct);
        var open = JsonDocument.Parse(await cloud.Http.GetStringAsync("/api/alerts?state=open", Ct)).RootElement.EnumerateArray().ToList();
        Assert.DoesNotContain(open, a => a.GetProperty("ruleId").GetString() is "device.offline" or "device.stale");
        // History: readings and the fault event are in InfluxDB with the documented measurements and tags.
        static bool TrappedEvent(IReadOnlyDictionary<string, JsonElement> e) =>
            e["label"].GetString() == "trapped-at-floor" && e["site"].GetString() == "estate" && e["building"].GetString() == "b01" && e["gateway"].GetString() == "gw-e2e";
        await WaitForAsync(async () => (await influx.RowsAsync("facilities", "SELECT * FROM events WHERE device = 'lift-2' AND point = 'fault_code'", Ct)).Any(TrappedEvent), "the trapped-passenger event in InfluxDB");
        var floors = await influx.RowsAsync("facilities", "SELECT floor FROM elevator WHERE device = 'lift-1'", Ct);
        Assert.NotEmpty(floors);

        var metrics = await cloud.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("facilities_cloud_open_alerts{state=\"firing\",severity=\"critical\"} ", metrics, StringComparison.Ordinal);
        Assert.Matches(@"facilities_cloud_messages_total\{outcome=""accepted""\} [1-9]\d*", metrics);
        Assert.Matches(@"facilities_cloud_influx_lines_total\{fate=""written""\} [1-9]\d*", metrics);
        Assert.Matches(@"facilities_cloud_ingest_batches_total [1-9]\d*", metrics);
        Assert.Matches(@"facilities_cloud_ingest_consumer_seconds_total\{phase=""storing""\} ([1-9]|0\.\d*[1-9]|\d(\.\d+)?E-\d+)", metrics);

        var ingestion = JsonDocument.Parse(await cloud.Http.GetStringAsync("/api/ingestion", Ct)).RootElement;
        Assert.True(ingestion.GetProperty("accepted").GetInt64() > 10);
        Assert.Equal(0, ingestion.GetProperty("deadLettered").GetInt64());
    }

    private static async Task<JsonElement> WaitForAlertAsync(CloudHost cloud, string ruleId, string state)
    {
        JsonElement? found = null;
        await WaitForAsync(async () =>
        {
            var alerts = JsonDocument.Parse(await cloud.Http.GetStringAsync($"/api/alerts?state={state}", Ct)).RootElement;
            found = alerts.EnumerateArray().Cast<JsonElement?>().FirstOrDefault(a => a!.Value.GetProperty("ruleId").GetString() == ruleId);
            return found is not null;
        }, $"{ruleId} {state}");
        return found!.Value;
    }

    private static Task WaitForAsync(Func<Task<bool>> condition, string what) =>
        Eventually.HoldsAsync(condition, what, TimeSpan.FromSeconds(30), Ct, TimeSpan.FromMilliseconds(100));

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

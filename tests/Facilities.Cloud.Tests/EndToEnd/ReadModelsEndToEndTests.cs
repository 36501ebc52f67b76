using System.Globalization;
using System.Text.Json;
using Facilities.Cloud.Domain.WorkOrders;
using Facilities.Cloud.WorkOrders;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>
/// firmware-sim (an elevator, a 12-port charger shed, an AED cabinet) polled by the real gateway through a real
/// Mosquitto into the whole cloud, on SQLite and PostgreSQL: the charger and elevator read models follow what the
/// simulator does — ports busy and free, a port fault, the shed going offline, a trapped passenger — and preventive
/// orders appear in the work-order API.
/// </summary>
public sealed class ReadModelsEndToEndTests(PostgresFixture postgres) : IDisposable
{
    private static readonly string[] States = ["free", "charging", "finished", "fault", "out_of_service"];

    private readonly string _directory = Directory.CreateTempSubdirectory("cloud-readmodels-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CommunityFile Community() => new()
    {
        Name = "e2e-read-models",
        Sites = [new SiteEntry { Id = "estate", Buildings = [new BuildingEntry { Id = "b01" }] }],
        Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
        Devices =
        [
            new DeviceEntry { Id = "lift", Kind = "elevator", Site = "estate", Building = "b01", Bus = "tcp", Unit = 1, Count = 1 },
            new DeviceEntry { Id = "shed", Kind = "charger-shed", Site = "estate", Building = "b01", Bus = "tcp", Unit = 2, Count = 1 },
            new DeviceEntry { Id = "aed", Kind = "aed-cabinet", Site = "estate", Building = "b01", Bus = "tcp", Unit = 3, Count = 1 },
        ],
    };

    private LoadedSite Site(CommunityHost community)
    {
        var endpoint = community.Buses.Single().Endpoint.Split(':');
        var json = JsonSerializer.Serialize(new
        {
            site = "estate",
            gateway = "gw-read",
            buses = new object[] { new { id = "tcp", type = "tcp", host = endpoint[0], port = int.Parse(endpoint[1], CultureInfo.InvariantCulture), timeout = "00:00:00.300" } },
            devices = new object[]
            {
                new { id = "lift", bus = "tcp", unit = 1, profile = "facilities-sim-elevator", building = "b01", pollInterval = "00:00:00.250" },
                new { id = "shed", bus = "tcp", unit = 2, profile = "facilities-sim-charger-shed-12", building = "b01", pollInterval = "00:00:00.250" },
                new { id = "aed", bus = "tcp", unit = 3, profile = "facilities-sim-aed-cabinet", building = "b01", pollInterval = "00:00:00.250" },
            },
        });
        var path = Path.Combine(_directory, "site.json");
        File.WriteAllText(path, json);
        return SiteLoader.Load(path, Path.Combine(AppContext.BaseDirectory, "profiles"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task ChargerAndElevatorViews_FollowTheSimulator_AndPreventiveOrdersAppear(string provider)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        var settings = new Dictionary<string, string?> { ["WorkOrders:Teams:elevator:estate"] = "Li Ming" };
        if (provider == "postgres")
        {
            settings["Storage:Provider"] = "postgres";
            settings["Storage:ConnectionString"] = await postgres.Server.CreateDatabaseAsync(Ct);
        }

        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, settings);
        await using var community = await CommunityHost.StartAsync(Community(), TimeProvider.System, NullLogger.Instance, Ct);
        var options = new GatewayOptions { DataDirectory = Path.Combine(_directory, "gateway"), MetricsPort = 0 };
        var runtime = GatewayRuntime.Start(Site(community), options, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);
        try
        {
            var shed = community.Find("shed")!;
            var lift = community.Find("lift")!;

            await WaitForAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM devices WHERE state = 'online'") == 3, "three devices online in the cloud");

            // Every port as the simulator has it (the public endpoint needs no sign-in).
            await WaitForAsync(async () => PortsMatch(await ChargersAsync(cloud), shed.Values()), "the shed's ports as the simulator has them");
            var sim = shed.Values();
            var charging = Enumerable.Range(1, 12).Where(n => sim[$"port_{n}_status"] == 1).ToList();
            Assert.NotEmpty(charging); // the simulator's random plug-ins are seeded by device id: this shed starts with busy ports
            // A port plugged in at the simulator's start reports 0 minutes to full until its first charging tick, and the
            // view then falls back to the typical duration; the next poll brings the estimate. Wait for it.
            await WaitForAsync(async () =>
            {
                var ports = (await ChargersAsync(cloud)).GetProperty("sheds")[0].GetProperty("ports");
                return charging.All(n => ports[n - 1].GetProperty("expectedFreeBasis").GetString() == "minutes-to-full");
            }, "the charging ports' own estimates");
            sim = shed.Values();
            var view = await ChargersAsync(cloud);
            var shedView = view.GetProperty("sheds")[0];
            Assert.Equal(("available", 12), (shedView.GetProperty("status").GetString(), shedView.GetProperty("total").GetInt32()));
            Assert.Equal((int)sim["free_ports"], shedView.GetProperty("free").GetInt32());
            foreach (var n in charging)
            {
                var port = shedView.GetProperty("ports")[n - 1];
                var expected = DateTimeOffset.UtcNow.AddMinutes(sim[$"port_{n}_minutes_to_full"]);
                var actual = port.GetProperty("expectedFreeAt").GetDateTimeOffset();
                Assert.True((actual - expected).Duration() < TimeSpan.FromMinutes(3), $"port {n}: expected free {actual:O}, simulator says about {expected:O}");
                Assert.Equal("minutes-to-full", port.GetProperty("expectedFreeBasis").GetString());
            }

            // A port fault on a busy port: the API shows it as fault, one fewer busy.
            var faulted = charging[0];
            shed.Inject($"port-overcurrent:{faulted}", community.Clock.Now);
            await WaitForAsync(async () => (await ChargersAsync(cloud)).GetProperty("sheds")[0].GetProperty("ports")[faulted - 1].GetProperty("state").GetString() == "fault",
                $"port {faulted} fault");
            await WaitForAsync(async () => PortsMatch(await ChargersAsync(cloud), shed.Values()), "ports still as the simulator has them");

            // The elevator: a trapped passenger shows in its status, faults, orders and score.
            lift.Inject("trapped-at-floor", community.Clock.Now);
            JsonElement health = default;
            await WaitForAsync(async () =>
            {
                health = JsonDocument.Parse(await cloud.Http.GetStringAsync("/api/elevators/lift/health?site=estate", Ct)).RootElement;
                return health.GetProperty("status").GetProperty("fault").GetString() == "trapped-at-floor" && health.GetProperty("openWorkOrders").GetArrayLength() == 1;
            }, "trapped passenger in the elevator's health");
            var liftNow = lift.Values();
            var status = health.GetProperty("status");
            Assert.Equal(("online", (int)liftNow["floor"], false), (status.GetProperty("link").GetString(), status.GetProperty("floor").GetInt32(), status.GetProperty("running").GetBoolean()));
            Assert.Equal("normal", status.GetProperty("serviceMode").GetString());
            Assert.Contains(health.GetProperty("reasons").EnumerateArray(), r => r.GetProperty("code").GetString() == "fault-active");
            Assert.True(health.GetProperty("score").GetInt32() <= 70);
            Assert.Equal(1, health.GetProperty("faults").GetProperty("count").GetInt32());
            await WaitForAsync(async () => await cloud.CountAsync("SELECT CAST(last_value AS BIGINT) FROM counter_days WHERE device = 'lift' AND point = 'trips' ORDER BY day DESC LIMIT 1") == (long)lift.Values()["trips"],
                "today's trips counter as the simulator has it");
            var list = JsonDocument.Parse(await cloud.Http.GetStringAsync("/api/elevators?site=estate", Ct)).RootElement;
            Assert.Equal(health.GetProperty("score").GetInt32(), Assert.Single(list.EnumerateArray().ToList()).GetProperty("score").GetInt32());

            // Preventive orders: the elevator's half-month, the AED's pads 20 days before they expire.
            community.Find("aed")!.Inject("pads-expiring", community.Clock.Now);
            await WaitForAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM latest_values WHERE device = 'aed' AND point = 'pads_expiry' AND value < 20990101") == 1
                && PadsWithinWeeks(await cloud.CountAsync("SELECT CAST(value AS BIGINT) FROM latest_values WHERE device = 'aed' AND point = 'pads_expiry'")), "the AED's new pads expiry in the cloud");
            await cloud.Services.GetRequiredService<PreventiveScheduler>().RunAsync(Ct);
            var orders = JsonDocument.Parse(await cloud.Http.GetStringAsync("/api/work-orders?site=estate", Ct)).RootElement.EnumerateArray().ToList();
            Assert.Contains(orders, o => o.GetProperty("type").GetString() == "preventive" && o.GetProperty("ruleId").GetString() == PreventiveSchedule.ElevatorMaintenance && o.GetProperty("device").GetString() == "lift");
            Assert.Contains(orders, o => o.GetProperty("type").GetString() == "preventive" && o.GetProperty("ruleId").GetString() == PreventiveSchedule.AedPads && o.GetProperty("device").GetString() == "aed");
            Assert.Contains(orders, o => o.GetProperty("type").GetString() == "corrective" && o.GetProperty("ruleId").GetString() == "elevator.trapped-at-floor");

            // The shed stops answering: the gateway reports it offline and every port becomes unknown, none free.
            shed.Inject("comm-offline", community.Clock.Now);
            await WaitForAsync(async () => (await ChargersAsync(cloud)).GetProperty("sheds")[0].GetProperty("status").GetString() == "offline", "shed offline");
            var offline = (await ChargersAsync(cloud)).GetProperty("sheds")[0];
            Assert.Equal(JsonValueKind.Null, offline.GetProperty("free").ValueKind);
            Assert.All(offline.GetProperty("ports").EnumerateArray(), p => Assert.Equal("unknown", p.GetProperty("state").GetString()));

            shed.Clear("comm-offline", community.Clock.Now);
            await WaitForAsync(async () => PortsMatch(await ChargersAsync(cloud), shed.Values()), "ports back as the simulator has them");
        }
        finally
        {
            await runtime.DisposeAsync();
        }

        // The gateway gone (its last will): the shed is unknown again.
        await WaitForAsync(async () => (await ChargersAsync(cloud)).GetProperty("sheds")[0].GetProperty("status").GetString() == "offline", "shed unknown once its gateway is gone");
    }

    private static bool PadsWithinWeeks(long yyyymmdd) =>
        DateTime.TryParseExact(yyyymmdd.ToString(CultureInfo.InvariantCulture), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
        && date - DateTime.UtcNow < TimeSpan.FromDays(42);

    private static async Task<JsonElement> ChargersAsync(CloudHost cloud) =>
        JsonDocument.Parse(await cloud.Anonymous.GetStringAsync("/api/sites/estate/chargers", Ct)).RootElement;

    private static bool PortsMatch(JsonElement chargers, IReadOnlyDictionary<string, double> sim)
    {
        var sheds = chargers.GetProperty("sheds");
        if (sheds.GetArrayLength() != 1 || sheds[0].GetProperty("ports").GetArrayLength() != 12)
        {
            return false;
        }

        var ports = sheds[0].GetProperty("ports");
        return Enumerable.Range(1, 12).All(n => ports[n - 1].GetProperty("state").GetString() == States[(int)sim[$"port_{n}_status"]]);
    }

    private static Task WaitForAsync(Func<Task<bool>> condition, string what) =>
        Eventually.HoldsAsync(condition, what, TimeSpan.FromSeconds(45), Ct, TimeSpan.FromMilliseconds(200));

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

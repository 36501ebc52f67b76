using System.Text.Json;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Devices.AedCabinet;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>
/// The rules that know their equipment, end to end: a simulated device polled by the real gateway through Mosquitto
/// into the cloud, whose site rule file (Rules:SiteDirectory) gives the device its parameters. Quiet before the
/// fault, firing after it. The cloud's clock moves 30 s per poll so "for" durations pass in seconds; windows are in
/// the gateway's sample time, which the simulator's speed fills with burner starts. On SQLite and on PostgreSQL.
/// </summary>
public sealed class EquipmentRulesEndToEndTests(PostgresFixture postgres) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cloud-equipment-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary><see cref="Faults"/> on each storage provider.</summary>
    public static TheoryData<string, string, string, string, string, string?, string?> FaultsOnEachProvider
    {
        get
        {
            var data = new TheoryData<string, string, string, string, string, string?, string?>();
            foreach (var provider in new[] { "sqlite", "postgres" })
            {
                foreach (var row in Faults)
                {
                    var (kind, profile, fault, rule, options, siteFile) = ((string, string, string, string, string?, string?))row.Data;
                    data.Add(provider, kind, profile, fault, rule, options, siteFile);
                }
            }

            return data;
        }
    }

    public static TheoryData<string, string, string, string, string?, string?> Faults => new()
    {
        // kind, profile, fault (null-like "" for none: the site file alone makes the healthy device break its limit), rule, device options, site file
        { "boiler", "facilities-sim-boiler", "pump-stopped", "boiler.pump-stopped-while-firing", null, null },
        { "boiler", "facilities-sim-boiler", "short-cycling", "boiler.short-cycling", null, null },
        // A radiator curve on a plant the site file declares floor heating: 68–86 °C against its 60 °C limit.
        { "boiler", "facilities-sim-boiler", "", "boiler.supply-too-hot", """{ "outdoorMean": -12 }""",
          """{ "devices": { "dev": { "kind": "boiler", "parameters": { "heatingSystem": "floor" } } } }""" },
        { "charger-shed", "facilities-sim-charger-shed-12", "port-overlong-charge:3", "charger.charge-too-long", """{ "ports": 12 }""", null },
        { "charger-shed", "facilities-sim-charger-shed-12", "port-no-cut-off-when-full:5", "charger.power-after-full", """{ "ports": 12 }""", null },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "aed-removed", "aed.not-returned", null,
          """{ "devices": { "dev": { "kind": "aed-cabinet", "parameters": { "returnWithinHours": 0.5 } } } }""" },
    };

    [Theory]
    [MemberData(nameof(FaultsOnEachProvider))]
    public async Task Fault_FiresItsRuleWithTheDevicesParameters(string provider, string kind, string profile, string fault, string ruleId, string? options, string? siteFile)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var sites = Directory.CreateDirectory(Path.Combine(_directory, "sites")).FullName;
        if (siteFile is not null)
        {
            File.WriteAllText(Path.Combine(sites, "estate.json"), siteFile);
        }

        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, await StorageAsync(provider, new Dictionary<string, string?>
        {
            ["Rules:FlapCount"] = "1000",
            ["Rules:SweepInterval"] = "00:00:00.200",
            ["Rules:SiteDirectory"] = sites,
        }), clock);
        var community = new CommunityFile
        {
            Name = "equipment",
            Speed = 60, // a short-cycling burner starts every two seconds
            Sites = [new SiteEntry { Id = "estate", Buildings = [new BuildingEntry { Id = "b01" }] }],
            Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
            Devices = [new DeviceEntry { Id = "dev", Kind = kind, Site = "estate", Building = "b01", Bus = "tcp", Unit = 1, Count = 1, Options = options is null ? null : JsonDocument.Parse(options).RootElement }],
        };
        await using var sim = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct);
        var device = Assert.Single(sim.Devices);
        var gatewayOptions = new GatewayOptions { DataDirectory = Path.Combine(_directory, "gateway"), MetricsPort = 0 };
        await using var gateway = GatewayRuntime.Start(Site(sim, device.Id, profile), gatewayOptions, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);

        await WaitAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM latest_values WHERE device = @device", new { device = device.Id }) > 5, clock, advance: false, "readings");
        if (fault.Length > 0)
        {
            await Task.Delay(1000, Ct);
            Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE device = @device AND rule_id = @rule AND state <> 'pending'", new { device = device.Id, rule = ruleId }));
            Assert.True(device.Inject(fault, sim.Clock.Now), $"{kind} supports {fault}");
        }

        await WaitAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE device = @device AND rule_id = @rule AND state = 'firing'", new { device = device.Id, rule = ruleId }) == 1,
            clock, advance: true, $"{ruleId} firing after {(fault.Length > 0 ? fault : "start")}");
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task AedBackAfterUse_OpensThePostUseOrder_WithTheCabinetsFlag_AndTheOrderCarriesTheDevicesAttributes(string provider)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var sites = Directory.CreateDirectory(Path.Combine(_directory, "sites")).FullName;
        File.WriteAllText(Path.Combine(sites, "estate.json"), """{ "devices": { "dev": { "attributes": { "registrationCode": "AED-0042" } } } }""");
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, await StorageAsync(provider, new Dictionary<string, string?>
        {
            ["Rules:SweepInterval"] = "00:00:00.200",
            ["Rules:SiteDirectory"] = sites,
        }), clock);
        var community = new CommunityFile
        {
            Name = "aed",
            Sites = [new SiteEntry { Id = "estate", Buildings = [new BuildingEntry { Id = "b01" }] }],
            Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
            Devices = [new DeviceEntry { Id = "dev", Kind = "aed-cabinet", Site = "estate", Building = "b01", Bus = "tcp", Unit = 1, Count = 1 }],
        };
        await using var sim = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct);
        var cabinet = (AedCabinetModel)Assert.Single(sim.Devices);
        var gatewayOptions = new GatewayOptions { DataDirectory = Path.Combine(_directory, "gateway"), MetricsPort = 0 };
        await using var gateway = GatewayRuntime.Start(Site(sim, cabinet.Id, "facilities-sim-aed-cabinet"), gatewayOptions, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);
        await WaitAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM latest_values WHERE device = 'dev' AND point = 'post_use_check'", new { }) == 1, clock, advance: false, "readings");

        cabinet.Inject("aed-removed", sim.Clock.Now);
        await WaitAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE device = 'dev' AND rule_id = 'aed.removed' AND state = 'firing'", new { }) == 1, clock, advance: false, "aed.removed");
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM work_orders WHERE device = 'dev' AND rule_id = 'aed.post-use-check'", new { }));
        cabinet.Clear("aed-removed", sim.Clock.Now);
        await WaitAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM work_orders WHERE device = 'dev' AND rule_id = 'aed.post-use-check' AND status NOT IN ('resolved', 'closed')", new { }) == 1,
            clock, advance: false, "post-use work order");
        using (var orders = JsonDocument.Parse(await cloud.Http.GetStringAsync(new Uri("/api/work-orders?status=open&site=estate", UriKind.Relative), Ct)))
        {
            var order = orders.RootElement.EnumerateArray().Single(o => o.GetProperty("ruleId").GetString() == "aed.post-use-check");
            Assert.Equal("AED-0042", order.GetProperty("attributes").GetProperty("registrationCode").GetString());
        }

        using (var alerts = JsonDocument.Parse(await cloud.Http.GetStringAsync(new Uri("/api/alerts?state=open&site=estate", UriKind.Relative), Ct)))
        {
            Assert.NotEmpty(alerts.RootElement.EnumerateArray());
            Assert.All(alerts.RootElement.EnumerateArray(), a => Assert.Equal("AED-0042", a.GetProperty("attributes").GetProperty("registrationCode").GetString()));
        }

        cabinet.Restock(sim.Clock.Now);
        await WaitAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE device = 'dev' AND rule_id = 'aed.post-use-check' AND state <> 'resolved'", new { }) == 0,
            clock, advance: false, "post-use alert resolved after restocking");
    }

    /// <summary>The settings, on a fresh PostgreSQL database when <paramref name="provider"/> says so (SQLite is CloudHost's default).</summary>
    private async Task<Dictionary<string, string?>> StorageAsync(string provider, Dictionary<string, string?> settings)
    {
        if (provider == "postgres")
        {
            settings["Storage:Provider"] = "postgres";
            settings["Storage:ConnectionString"] = await postgres.Server.CreateDatabaseAsync(Ct);
        }

        return settings;
    }

    private LoadedSite Site(CommunityHost sim, string deviceId, string profile) => FastPollSite.Create(_directory, sim, "gw-equipment", deviceId, profile);

    private static Task WaitAsync(Func<Task<bool>> condition, ManualClock clock, bool advance, string what) => FastPollSite.WaitAsync(condition, clock, advance, what);

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

using System.Text.Json;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>
/// Every firmware-sim fault, injected into a simulated device polled by the real gateway through Mosquitto, fires the
/// default rule written for it in the cloud, and that alert resolves when the fault is cleared. The cloud's clock is
/// moved by hand so rules with a "for" duration (ten minutes for NOx) are checked in seconds.
/// </summary>
public sealed class EveryFaultTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cloud-faults-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, string> Faults => new()
    {
        { "elevator", "facilities-sim-elevator", "trapped-at-floor", "elevator.trapped-at-floor" },
        { "elevator", "facilities-sim-elevator", "trapped-between-floors", "elevator.trapped-between-floors" },
        { "elevator", "facilities-sim-elevator", "stopped-outside-door-zone", "elevator.stopped-outside-door-zone" },
        { "elevator", "facilities-sim-elevator", "door-open-while-moving", "elevator.door-open-while-moving" },
        { "elevator", "facilities-sim-elevator", "overspeed", "elevator.overspeed" },
        { "elevator", "facilities-sim-elevator", "overtravel-top", "elevator.overtravel-top" },
        { "elevator", "facilities-sim-elevator", "overtravel-bottom", "elevator.overtravel-bottom" },
        { "elevator", "facilities-sim-elevator", "safety-circuit-open", "elevator.safety-circuit-open" },
        { "elevator", "facilities-sim-elevator", "door-lock-open", "elevator.door-lock-open" },
        { "elevator", "facilities-sim-elevator", "door-fails-to-open", "elevator.door-fails-to-open" },
        { "elevator", "facilities-sim-elevator", "door-fails-to-close", "elevator.door-fails-to-close" },
        { "elevator", "facilities-sim-elevator", "floor-position-lost", "elevator.floor-position-lost" },
        { "elevator", "facilities-sim-elevator", "motor-runtime-limiter", "elevator.motor-runtime-limiter" },
        { "elevator", "facilities-sim-elevator", "mains-power-lost", "elevator.mains-power-lost" },
        { "elevator", "facilities-sim-elevator", "landing-button-stuck", "elevator.landing-button-stuck" },
        { "elevator", "facilities-sim-elevator", "passenger-alarm", "elevator.passenger-alarm" },
        { "elevator", "facilities-sim-elevator", "unintended-car-movement", "elevator.unintended-car-movement" },
        { "elevator", "facilities-sim-elevator", "other-fault-preventing-restart", "elevator.other-fault-preventing-restart" },
        { "elevator", "facilities-sim-elevator", "out-of-service", "elevator.out-of-service" },
        { "elevator", "facilities-sim-elevator", "fire-return", "elevator.fire-service" },
        { "elevator", "facilities-sim-elevator", "firefighter-mode", "elevator.fire-service" },
        { "elevator", "facilities-sim-elevator", "earthquake-mode", "elevator.earthquake" },
        { "elevator", "facilities-sim-elevator", "comm-offline", "device.offline" },
        { "boiler", "facilities-sim-boiler", "lockout", "boiler.lockout" },
        { "boiler", "facilities-sim-boiler", "flame-failure", "boiler.lockout" },
        { "boiler", "facilities-sim-boiler", "low-water", "boiler.low-water" },
        { "boiler", "facilities-sim-boiler", "high-nox", "boiler.nox-high" },
        { "boiler", "facilities-sim-boiler", "supply-temperature-low", "boiler.supply-low-while-burning" },
        { "boiler", "facilities-sim-boiler", "over-pressure", "boiler.over-pressure" },
        { "charger-shed", "facilities-sim-charger-shed-12", "port-overcurrent:3", "charger.port-fault" },
        { "charger-shed", "facilities-sim-charger-shed-12", "port-over-temperature:4", "charger.port-fault" },
        { "charger-shed", "facilities-sim-charger-shed-12", "abnormal-load:5", "charger.port-fault" },
        { "charger-shed", "facilities-sim-charger-shed-12", "smoke", "charger.smoke" },
        { "charger-shed", "facilities-sim-charger-shed-12", "over-temperature", "charger.over-temperature" },
        { "charger-shed", "facilities-sim-charger-shed-12", "mains-lost", "charger.mains-lost" },
        { "charger-shed", "facilities-sim-charger-shed-12", "door-open", "charger.door-open" },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "door-opened", "aed.door-open" },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "aed-removed", "aed.removed" },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "self-test-failure", "aed.self-test-failed" },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "low-battery", "aed.battery-low" },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "battery-expiring", "aed.battery-expiring" },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "pads-expiring", "aed.pads-expiring" },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "too-hot", "aed.too-hot" },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "too-cold", "aed.too-cold" },
        { "aed-cabinet", "facilities-sim-aed-cabinet", "self-test-overdue", "aed.self-test-overdue" },
        { "charger-shed", "facilities-sim-charger-shed-12", "smoke-cut-off-failed", "charger.smoke-power-on" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Fault_FiresItsRule_AndResolvesWhenCleared(string kind, string profile, string fault, string ruleId)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?>
        {
            ["Rules:FlapCount"] = "1000",
            ["Rules:SweepInterval"] = "00:00:00.200",
        }, clock);
        var community = new CommunityFile
        {
            Name = "faults",
            Speed = 30, // boiler water cools in seconds, not minutes
            Sites = [new SiteEntry { Id = "estate", Buildings = [new BuildingEntry { Id = "b01" }] }],
            Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
            Devices = [new DeviceEntry { Id = "dev", Kind = kind, Site = "estate", Building = "b01", Bus = "tcp", Unit = 1, Count = 1, Options = kind == "charger-shed" ? JsonDocument.Parse("""{ "ports": 12 }""").RootElement : null }],
        };
        await using var sim = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct);
        var device = Assert.Single(sim.Devices);
        var options = new GatewayOptions { DataDirectory = Path.Combine(_directory, "gateway"), MetricsPort = 0 };
        await using var gateway = GatewayRuntime.Start(Site(sim, device.Id, profile), options, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);

        // Settled first: online, readings in, and nothing firing for this rule before the fault.
        await WaitAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM latest_values WHERE device = @device", new { device = device.Id }) > 5, clock, advance: false, "readings");
        await Task.Delay(1000, Ct);
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE device = @device AND rule_id = @rule AND state <> 'pending'", new { device = device.Id, rule = ruleId }));

        Assert.True(device.Inject(fault, sim.Clock.Now), $"{kind} supports {fault}");
        await WaitAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE device = @device AND rule_id = @rule AND state = 'firing'", new { device = device.Id, rule = ruleId }) == 1,
            clock, advance: true, $"{ruleId} firing after {fault}");
        device.Clear(fault, sim.Clock.Now);
        await WaitAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE device = @device AND rule_id = @rule AND state <> 'resolved'", new { device = device.Id, rule = ruleId }) == 0,
            clock, advance: true, $"{ruleId} resolved after clearing {fault}");
        Assert.Equal(1, await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE device = @device AND rule_id = @rule", new { device = device.Id, rule = ruleId }));
    }

    private LoadedSite Site(CommunityHost sim, string deviceId, string profile) => FastPollSite.Create(_directory, sim, "gw-faults", deviceId, profile);

    private static Task WaitAsync(Func<Task<bool>> condition, ManualClock clock, bool advance, string what) => FastPollSite.WaitAsync(condition, clock, advance, what);

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

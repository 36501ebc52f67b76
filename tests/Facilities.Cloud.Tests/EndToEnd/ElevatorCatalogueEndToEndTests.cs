using System.Text.Json;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>
/// The elevator catalogue end to end — a simulated elevator polled by the real gateway with the shipped profile,
/// through Mosquitto, into the cloud on SQLite and PostgreSQL: the alarm button pages while another fault is active and
/// in inspection mode, and an entrapment the controller does not report is derived from the car's state.
/// </summary>
public sealed class ElevatorCatalogueEndToEndTests(PostgresFixture postgres) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cloud-elevator-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task AlarmButton_DuringAnotherFault_FiresBesideIt(string provider)
    {
        await using var bed = await StartAsync(provider);
        Assert.True(bed.Lift.Inject("trapped-at-floor", bed.Sim.Clock.Now));
        await bed.WaitAsync("elevator.trapped-at-floor", "firing");

        // The legacy fault code keeps showing the entrapment; the alarm has its own bits and its own rule.
        Assert.True(bed.Lift.Inject("passenger-alarm", bed.Sim.Clock.Now));
        await bed.WaitAsync("elevator.passenger-alarm", "firing");
        Assert.Equal(1, await bed.Cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE rule_id = 'elevator.trapped-at-floor' AND state = 'firing'"));
        Assert.Equal(0, await bed.Cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE rule_id = 'elevator.passenger-alarm' AND suppressed IS NOT NULL"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task AlarmButton_InInspectionModeBesideASuppressedFault_StillPages(string provider)
    {
        await using var bed = await StartAsync(provider);
        // Inspection mode reaches the cloud first (its point may be read in another poll than the fault word's), then the fault.
        bed.Lift.Inject("inspection-mode", bed.Sim.Clock.Now);
        await Eventually.HoldsAsync(async () => await bed.Cloud.CountAsync(
                "SELECT COUNT(*) FROM latest_values WHERE device = @device AND point = 'service_mode' AND label = 'inspection'", new { device = bed.Lift.Id }) == 1,
            "inspection mode in the cloud", TimeSpan.FromSeconds(60), Ct);
        bed.Lift.Inject("door-lock-open", bed.Sim.Clock.Now);
        await bed.WaitAsync("elevator.door-lock-open", "firing");
        Assert.Equal(1, await bed.Cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE rule_id = 'elevator.door-lock-open' AND suppressed IS NOT NULL"));

        bed.Lift.Inject("passenger-alarm", bed.Sim.Clock.Now);
        await bed.WaitAsync("elevator.passenger-alarm", "firing");
        Assert.Equal(0, await bed.Cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE rule_id = 'elevator.passenger-alarm' AND suppressed IS NOT NULL"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TrappedDerived_CarOccupiedStoppedDoorsShutWithoutATrapCode_FiresAndOpensARescueOrder(string provider)
    {
        await using var bed = await StartAsync(provider);

        // The doors will not open at the landing with a passenger inside: the controller reports only the door fault.
        bed.Lift.Inject("door-fails-to-open", bed.Sim.Clock.Now);
        await bed.WaitAsync("elevator.door-fails-to-open", "firing");
        await bed.WaitAsync("elevator.trapped-derived", "firing");
        Assert.Equal(0, await bed.Cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE rule_id = 'elevator.trapped-derived' AND suppressed IS NOT NULL"));
        Assert.Equal(1, await bed.Cloud.CountAsync("SELECT COUNT(*) FROM work_orders WHERE rule_id = 'elevator.trapped-derived' AND rescue = 1"));

        bed.Lift.Clear("door-fails-to-open", bed.Sim.Clock.Now);
        await bed.WaitAsync("elevator.trapped-derived", "resolved");
    }

    private async Task<Bed> StartAsync(string provider)
    {
        var broker = await MosquittoBroker.StartAsync(Ct);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?> { ["Rules:FlapCount"] = "1000", ["Rules:SweepInterval"] = "00:00:00.200" };
        if (provider == "postgres")
        {
            settings["Storage:Provider"] = "postgres";
            settings["Storage:ConnectionString"] = await postgres.Server.CreateDatabaseAsync(Ct);
        }

        var cloud = await CloudHost.StartAsync(broker.Port, Ct, settings, clock);
        var community = new CommunityFile
        {
            Name = "elevator",
            Sites = [new SiteEntry { Id = "estate", Buildings = [new BuildingEntry { Id = "b01" }] }],
            Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
            // No random calls: the car stays put, so the only changes are the faults the test injects.
            Devices = [new DeviceEntry { Id = "lift", Kind = "elevator", Site = "estate", Building = "b01", Bus = "tcp", Unit = 1, Count = 1, Options = JsonDocument.Parse("""{ "callsPerHour": 0 }""").RootElement }],
        };
        var sim = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct);
        var lift = Assert.Single(sim.Devices);
        var options = new GatewayOptions { DataDirectory = Path.Combine(_directory, "gateway"), MetricsPort = 0 };
        var gateway = GatewayRuntime.Start(Site(sim, lift.Id), options, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);
        var bed = new Bed(broker, cloud, sim, gateway, lift, clock);
        await Eventually.HoldsAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM latest_values WHERE device = @device AND point = 'fault_trapped_at_floor'", new { device = lift.Id }) == 1,
            "the fault word's points", TimeSpan.FromSeconds(60), Ct);
        return bed;
    }

    private LoadedSite Site(CommunityHost sim, string deviceId) => FastPollSite.Create(_directory, sim, "gw-elevator", deviceId, "facilities-sim-elevator");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed record Bed(MosquittoBroker Broker, CloudHost Cloud, CommunityHost Sim, GatewayRuntime Gateway, DeviceModel Lift, ManualClock Clock) : IAsyncDisposable
    {
        /// <summary>Waits until the rule's alert on the lift is in <paramref name="state"/>, moving the cloud's clock 30 s per poll so "for" durations pass.</summary>
        public Task WaitAsync(string ruleId, string state) => FastPollSite.WaitAsync(
            async () => await Cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE device = @device AND rule_id = @ruleId AND state = @state", new { device = Lift.Id, ruleId, state }) >= 1,
            Clock, advance: true, $"{ruleId} {state}");

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Sim.DisposeAsync();
            await Cloud.DisposeAsync();
            await Broker.DisposeAsync();
        }
    }
}

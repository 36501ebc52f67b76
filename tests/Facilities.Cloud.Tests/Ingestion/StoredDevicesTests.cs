using Facilities.Cloud.Devices;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Tests.Alerts;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>An instance's copies of the devices it handled stand only while the gateway's stream version is the one they were made at.</summary>
public sealed class StoredDevicesTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DeviceRecord Device(string device, string gateway, double load)
    {
        var record = new DeviceRecord("estate", device) { Gateway = gateway, Kind = "elevator", Building = "b1" };
        record.Points["load"] = new PointReading(load, null, AlertHarness.Start);
        return record;
    }

    [Fact]
    public void Find_GivesACopyOnlyAtTheVersionItWasMadeAt()
    {
        var stored = new StoredDevices();
        stored.Committed("estate", "gw-1", 0, 1, [Device("lift-1", "gw-1", 5)]);

        Assert.Null(stored.Find("estate", "gw-1", 2, "lift-1"));
        Assert.Null(stored.Find("estate", "gw-2", 1, "lift-1"));
        var copy = stored.Find("estate", "gw-1", 1, "lift-1");
        Assert.Equal(5, copy!.Points["load"].Value);

        // A copy is the caller's to change.
        copy.Points.Clear();
        Assert.Equal(5, stored.Find("estate", "gw-1", 1, "lift-1")!.Points["load"].Value);
    }

    [Fact]
    public void Committed_KeepsTheGatewaysOtherCopies_OnlyIfTheyWereCurrent()
    {
        var stored = new StoredDevices();
        stored.Committed("estate", "gw-1", 0, 1, [Device("lift-1", "gw-1", 5), Device("lift-2", "gw-1", 6)]);

        stored.Committed("estate", "gw-1", 1, 2, [Device("lift-1", "gw-1", 7)]);
        Assert.Equal(7, stored.Find("estate", "gw-1", 2, "lift-1")!.Points["load"].Value);
        Assert.Equal(6, stored.Find("estate", "gw-1", 2, "lift-2")!.Points["load"].Value);

        // Another instance moved the stream to 3 meanwhile: after this instance's commit at 4 only what it handled stands.
        stored.Committed("estate", "gw-1", 3, 4, [Device("lift-1", "gw-1", 9)]);
        Assert.Equal(9, stored.Find("estate", "gw-1", 4, "lift-1")!.Points["load"].Value);
        Assert.Null(stored.Find("estate", "gw-1", 4, "lift-2"));

        // A late commit never replaces a newer one.
        stored.Committed("estate", "gw-1", 1, 2, [Device("lift-1", "gw-1", 1)]);
        Assert.Equal(9, stored.Find("estate", "gw-1", 4, "lift-1")!.Points["load"].Value);
    }

    [Fact]
    public void Committed_ADeviceThatMoved_IsNoLongerHeldUnderItsOldGateway()
    {
        var stored = new StoredDevices();
        stored.Committed("estate", "gw-1", 0, 1, [Device("lift-1", "gw-1", 5)]);
        stored.Committed("estate", "gw-2", 0, 1, [Device("lift-1", "gw-2", 8)]);

        Assert.Null(stored.Find("estate", "gw-1", 1, "lift-1"));
        Assert.Equal(8, stored.Find("estate", "gw-2", 1, "lift-1")!.Points["load"].Value);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TwoInstances_TakingTurnsOnAGateway_EachStartsFromWhatTheOtherStored(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var clock = new ManualClock(AlertHarness.Start);
        var first = new AlertHarness(database, clock);
        var second = new AlertHarness(database, clock);
        RawMessage Load(int seq) => Messages.Telemetry(seq, AlertHarness.Start.AddSeconds(seq), "lift-1", "elevator", new Dictionary<string, double> { ["load"] = seq * 10 });

        // Each instance's second turn must start from the value the other one stored, not from its own copy.
        foreach (var (instance, seq) in new[] { (first, 1), (second, 2), (first, 3), (second, 4), (first, 5) })
        {
            Assert.All(await instance.SendAsync(Load(seq)), o => Assert.Equal(IngestOutcome.Accepted, o));
            Assert.Equal((seq * 10.0, (seq - 1) * 10.0), (
                await first.ScalarAsync<double>("SELECT value FROM latest_values WHERE device = 'lift-1' AND point = 'load'"),
                seq == 1 ? 0 : await first.ScalarAsync<double>("SELECT prev_value FROM latest_values WHERE device = 'lift-1' AND point = 'load'")));
        }

        Assert.Equal(5L, await first.ScalarAsync<long>("SELECT version FROM gateway_streams"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TwoInstances_ANumberTheOtherHandled_IsADuplicateForBoth(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var clock = new ManualClock(AlertHarness.Start);
        var first = new AlertHarness(database, clock);
        var second = new AlertHarness(database, clock);
        RawMessage Load(int seq) => Messages.Telemetry(seq, AlertHarness.Start.AddSeconds(seq), "lift-1", "elevator", new Dictionary<string, double> { ["load"] = seq });

        // The first instance holds a copy of the gateway's runs (1-3); the second then handles 4-6. A redelivery of 5 to the
        // first one (a slot taken over mid-batch) must be found in what the second stored, not missed in the first's copy.
        foreach (var seq in new[] { 1, 2, 3 })
        {
            Assert.Equal([IngestOutcome.Accepted], await first.SendAsync(Load(seq)));
        }

        foreach (var seq in new[] { 4, 5, 6 })
        {
            Assert.Equal([IngestOutcome.Accepted], await second.SendAsync(Load(seq)));
        }

        Assert.Equal([IngestOutcome.Duplicate], await first.SendAsync(Load(5)));
        Assert.Equal([IngestOutcome.Duplicate], await second.SendAsync(Load(2)));
        Assert.Equal([IngestOutcome.Accepted], await first.SendAsync(Load(7)));
        Assert.Equal(1L, await first.ScalarAsync<long>("SELECT COUNT(*) FROM seen_ranges"));
        Assert.Equal(7L, await first.ScalarAsync<long>("SELECT last_seq FROM seen_ranges"));
    }
}

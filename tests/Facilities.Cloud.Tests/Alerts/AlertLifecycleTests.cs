using Facilities.Cloud.Alerts;
using Facilities.Cloud.Domain.Maintenance;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Rules;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary>The alert lifecycle over real SQLite and PostgreSQL: the same checks on both.</summary>
public sealed class AlertLifecycleTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A boiler firing hard on a 60 °C setpoint; the supply-low rule watches supply against setpoint − 8 for 10 minutes.</summary>
    private static readonly Dictionary<string, double> Burning = new() { ["burner_on"] = 1, ["firing_rate"] = 100, ["supply_setpoint"] = 60, ["supply_temperature"] = 70 };

    private async Task<AlertHarness> HarnessAsync(string provider, RulesOptions? options = null, MaintenanceSchedule? maintenance = null)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        return new AlertHarness(database, new ManualClock(AlertHarness.Start), options, maintenance);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Redelivery_HasNoSecondEffect_AndBadMessagesAreParkedWithReason(string provider)
    {
        var h = await HarnessAsync(provider);
        var good = Messages.Event(1, AlertHarness.Start, "lift-1", "elevator", "fault_code", 1, "trapped-at-floor");
        var bad = new RawMessage("facilities/v1/estate/gw-1/devices/lift-1/telemetry", "{\"schema\":1,"u8.ToArray());
        var outcomes = await h.SendAsync(good, good, bad, Messages.Telemetry(2, AlertHarness.Start, "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = 2 }));
        Assert.Equal([IngestOutcome.Accepted, IngestOutcome.Duplicate, IngestOutcome.DeadLettered, IngestOutcome.Accepted], outcomes);
        Assert.Equal([IngestOutcome.Duplicate], await h.SendAsync(good));
        Assert.Single(await h.AlertsAsync());
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT COUNT(*) FROM dead_letters WHERE reason LIKE 'bad JSON%'"));
        Assert.Equal(2L, await h.ScalarAsync<long>("SELECT CAST(COALESCE(SUM(last_seq - first_seq + 1), 0) AS BIGINT) FROM seen_ranges"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TrappedPassenger_ThousandConcurrentDuplicatesOnTwoInstances_OneCriticalAlert(string provider)
    {
        var first = await HarnessAsync(provider);
        var second = new AlertHarness(first.Database, first.Clock);
        var fault = Messages.Event(41, AlertHarness.Start, "lift-1", "elevator", "fault_code", 1, "trapped-at-floor");
        var tasks = Enumerable.Range(0, 1000).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).SendAsync(fault), Ct));
        var outcomes = (await Task.WhenAll(tasks)).SelectMany(o => o).ToList();
        Assert.Equal(1, outcomes.Count(o => o == IngestOutcome.Accepted));
        Assert.Equal(999, outcomes.Count(o => o == IngestOutcome.Duplicate));
        var alert = Assert.Single(await first.AlertsAsync());
        Assert.Equal(("elevator.trapped-at-floor", "critical", "firing"), (alert.RuleId, alert.Severity, alert.State));
        Assert.Equal("fault_code = trapped-at-floor", alert.Detail);

        // The same fault in new messages (new seq) still makes no second alert while the first is open.
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            (i % 2 == 0 ? first : second).SendAsync(Messages.Event(100 + i, AlertHarness.Start.AddSeconds(i), "lift-1", "elevator", "fault_code", 1, "trapped-at-floor"))));
        Assert.Single(await first.AlertsAsync());

        // Cleared: resolved once, by the system, with an audit trail of fired then resolved.
        await first.SendAsync(Messages.Event(200, AlertHarness.Start.AddMinutes(5), "lift-1", "elevator", "fault_code", 0, "none"));
        alert = Assert.Single(await first.AlertsAsync());
        Assert.Equal(("resolved", "system"), (alert.State, alert.ResolvedBy));
        Assert.Equal(2L, await first.ScalarAsync<long>("SELECT COUNT(*) FROM alert_events WHERE alert_id = @Id", new { alert.Id }));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TwoInstances_InterleavedBatchesOfOneDevice_OneAlertAndTheNewestValues(string provider)
    {
        // A shared subscription splits one device's stream between two instances, message by message. Each instance
        // handles its share in batches (one transaction, one read of the device's rows, one write back) while the other
        // does the same, so their batches of the same device interleave.
        var first = await HarnessAsync(provider);
        var second = new AlertHarness(first.Database, first.Clock);
        var stream = Enumerable.Range(1, 240).Select(n => n == 120
            ? Messages.Event(n, AlertHarness.Start.AddSeconds(n), "lift-1", "elevator", "fault_code", 1, "trapped-at-floor")
            : Messages.Telemetry(n, AlertHarness.Start.AddSeconds(n), "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = n % 30, ["load"] = n })).ToList();
        async Task ConsumeAsync(AlertHarness instance, int parity)
        {
            foreach (var batch in stream.Where((_, i) => i % 2 == parity).Chunk(12))
            {
                Assert.All(await instance.SendAsync(batch), o => Assert.Equal(IngestOutcome.Accepted, o));
            }
        }

        await Task.WhenAll(Task.Run(() => ConsumeAsync(first, 0), Ct), Task.Run(() => ConsumeAsync(second, 1), Ct));

        var alert = Assert.Single(await first.AlertsAsync());
        Assert.Equal(("elevator.trapped-at-floor", "firing"), (alert.RuleId, alert.State));
        Assert.Equal(1L, await first.ScalarAsync<long>("SELECT COUNT(*) FROM alert_events WHERE alert_id = @Id", new { alert.Id }));
        Assert.Equal(240L, await first.ScalarAsync<long>("SELECT CAST(COALESCE(SUM(last_seq - first_seq + 1), 0) AS BIGINT) FROM seen_ranges"));
        Assert.Equal(240.0, await first.ScalarAsync<double>("SELECT value FROM latest_values WHERE device = 'lift-1' AND point = 'load'"));
        Assert.Equal(AlertHarness.Start.AddSeconds(240).ToUnixTimeMilliseconds(), await first.ScalarAsync<long>("SELECT ts FROM latest_values WHERE device = 'lift-1' AND point = 'load'"));
        Assert.Equal(1.0, await first.ScalarAsync<double>("SELECT value FROM latest_values WHERE device = 'lift-1' AND point = 'fault_code'"));

        // Cleared, again split between the instances: resolved once, by the system.
        await Task.WhenAll(
            first.SendAsync(Messages.Telemetry(241, AlertHarness.Start.AddSeconds(241), "lift-1", "elevator", new Dictionary<string, double> { ["load"] = 10 })),
            second.SendAsync(Messages.Event(242, AlertHarness.Start.AddSeconds(242), "lift-1", "elevator", "fault_code", 0, "none")));
        alert = Assert.Single(await first.AlertsAsync());
        Assert.Equal(("resolved", "system"), (alert.State, alert.ResolvedBy));
        Assert.Equal(2L, await first.ScalarAsync<long>("SELECT COUNT(*) FROM alert_events WHERE alert_id = @Id", new { alert.Id }));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task ForDuration_PendsThenFires_AndClearingEarlyLeavesNothing(string provider)
    {
        var h = await HarnessAsync(provider);
        await h.SendAsync(Messages.Telemetry(1, AlertHarness.Start, "boiler-1", "boiler", Burning));
        var cold = new Dictionary<string, double> { ["supply_temperature"] = 48 };
        await h.SendAsync(Messages.Telemetry(2, AlertHarness.Start, "boiler-1", "boiler", cold));
        Assert.Equal("pending", Assert.Single(await h.AlertsAsync("boiler.supply-low-while-burning")).State);

        h.Clock.Advance(TimeSpan.FromMinutes(8));
        await h.DueWork.WorkDueAsync(Ct);
        Assert.Equal("pending", Assert.Single(await h.AlertsAsync("boiler.supply-low-while-burning")).State);

        h.Clock.Advance(TimeSpan.FromMinutes(2.5));
        await h.DueWork.WorkDueAsync(Ct);
        var fired = Assert.Single(await h.AlertsAsync("boiler.supply-low-while-burning"));
        Assert.Equal(("firing", 48.0), (fired.State, fired.Value));

        // A second boiler cools only briefly: its pending alert disappears when the water warms again.
        await h.SendAsync(Messages.Telemetry(3, h.Clock.GetUtcNow(), "boiler-2", "boiler", Burning));
        await h.SendAsync(Messages.Telemetry(4, h.Clock.GetUtcNow(), "boiler-2", "boiler", cold));
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await h.SendAsync(Messages.Telemetry(5, h.Clock.GetUtcNow(), "boiler-2", "boiler", new Dictionary<string, double> { ["supply_temperature"] = 65 }));
        h.Clock.Advance(TimeSpan.FromMinutes(12));
        await h.DueWork.WorkDueAsync(Ct);
        Assert.Single(await h.AlertsAsync("boiler.supply-low-while-burning"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task InspectionModeAndMaintenanceWindow_RecordSuppressedAlerts(string provider)
    {
        var maintenance = new MaintenanceSchedule
        {
            Windows = [new MaintenanceWindow { Site = "estate", Device = "lift-2", From = AlertHarness.Start.AddHours(-1), To = AlertHarness.Start.AddHours(1), Reason = "annual inspection" }],
        };
        var h = await HarnessAsync(provider, maintenance: maintenance);
        await h.SendAsync(
            Messages.Event(1, AlertHarness.Start, "lift-1", "elevator", "service_mode", 1, "inspection"),
            Messages.Event(2, AlertHarness.Start, "lift-1", "elevator", "fault_code", 8, "safety-circuit-open"),
            Messages.Event(3, AlertHarness.Start, "lift-2", "elevator", "fault_code", 8, "safety-circuit-open"),
            Messages.Event(4, AlertHarness.Start, "lift-3", "elevator", "fault_code", 8, "safety-circuit-open"));
        var alerts = (await h.AlertsAsync("elevator.safety-circuit-open")).ToDictionary(a => a.Device);
        Assert.StartsWith("inspection", alerts["lift-1"].Suppressed, StringComparison.Ordinal);
        Assert.StartsWith("annual inspection", alerts["lift-2"].Suppressed, StringComparison.Ordinal);
        Assert.Null(alerts["lift-3"].Suppressed);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Flapping_HoldsTheAlertOpenInsteadOfFiringAgain(string provider)
    {
        var h = await HarnessAsync(provider, new RulesOptions { FlapCount = 3, FlapWindow = TimeSpan.FromMinutes(30), FlapHold = TimeSpan.FromMinutes(15) });
        long seq = 0;
        async Task DoorAsync(int open)
        {
            h.Clock.Advance(TimeSpan.FromMinutes(1));
            await h.SendAsync(Messages.Event(++seq, h.Clock.GetUtcNow(), "aed-1", "aed-cabinet", "door_open", open, null));
        }

        for (var i = 0; i < 3; i++)
        {
            await DoorAsync(1);
            await DoorAsync(0);
        }

        var alerts = await h.AlertsAsync("aed.door-open");
        Assert.Equal(3, alerts.Count);
        Assert.Equal(["resolved", "resolved", "firing"], alerts.Select(a => a.State));
        Assert.Equal(1, alerts[2].Flapping);

        await DoorAsync(1); // back while held: the same alert counts an occurrence, nothing new fires
        await DoorAsync(0);
        alerts = await h.AlertsAsync("aed.door-open");
        Assert.Equal(3, alerts.Count);
        Assert.Equal(2, alerts[2].Occurrences);

        h.Clock.Advance(TimeSpan.FromMinutes(16));
        await h.DueWork.WorkDueAsync(Ct);
        Assert.Equal("resolved", (await h.AlertsAsync("aed.door-open"))[2].State);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task GatewayLastWill_OneGatewayAlert_NoDeviceOfflineAlerts(string provider)
    {
        var h = await HarnessAsync(provider);
        var t = AlertHarness.Start;
        await h.SendAsync(Messages.Status(1, t, "online"),
            Messages.Telemetry(2, t, "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = 1 }),
            Messages.Telemetry(3, t, "boiler-1", "boiler", Burning));

        // The gateway's power is cut: the broker publishes its last will (seq 0). Time passes far beyond the
        // devices' offline and silence rules.
        var will = new RawMessage(Facilities.Telemetry.Topics.GatewayStatus("estate", "gw-1"),
            Facilities.Telemetry.MessageJson.Serialize(new Facilities.Telemetry.GatewayStatusMessage(1, 0, t, "gw-1", "offline", "", 0, 0, 0, 0)));
        h.Clock.Advance(TimeSpan.FromSeconds(5));
        await h.SendAsync(will);
        h.Clock.Advance(TimeSpan.FromMinutes(30));
        await h.DueWork.WorkDueAsync(Ct);
        var open = (await h.AlertsAsync()).Where(a => a.State != "resolved").ToList();
        var gateway = Assert.Single(open);
        Assert.Equal((AlertEngine.GatewayOfflineRule, "gateway:gw-1", "critical"), (gateway.RuleId, gateway.Device, gateway.Severity));

        // Back: the gateway alert resolves.
        await h.SendAsync(Messages.Status(4, h.Clock.GetUtcNow(), "online"),
            Messages.Telemetry(5, h.Clock.GetUtcNow(), "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = 1 }),
            Messages.Telemetry(6, h.Clock.GetUtcNow(), "boiler-1", "boiler", Burning));
        await h.DueWork.WorkDueAsync(Ct);
        Assert.All(await h.AlertsAsync(), a => Assert.Equal("resolved", a.State));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task DeviceOffline_FiresAfterItsForDuration_AndSequenceGapsAreReported(string provider)
    {
        var h = await HarnessAsync(provider);
        await h.SendAsync(Messages.Status(1, AlertHarness.Start, "online"), Messages.State(2, AlertHarness.Start, "boiler-1", "boiler", "offline"));
        Assert.Equal("pending", Assert.Single(await h.AlertsAsync("device.offline")).State);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await h.SendAsync(Messages.Status(9, h.Clock.GetUtcNow(), "online"));
        await h.DueWork.WorkDueAsync(Ct);
        var alert = Assert.Single(await h.AlertsAsync("device.offline"));
        Assert.Equal("firing", alert.State);
        Assert.Contains("no response", alert.Detail, StringComparison.Ordinal);

        await using var connection = await h.Database.OpenAsync(Ct);
        Assert.Empty(await SequenceGapStore.FindAsync(connection, h.Clock.GetUtcNow().AddMinutes(-5), TimeSpan.FromSeconds(30), Ct)); // not settled yet
        var gap = Assert.Single(await SequenceGapStore.FindAsync(connection, h.Clock.GetUtcNow().AddMinutes(1), TimeSpan.FromSeconds(30), Ct));
        Assert.Equal((3L, 8L), (gap.First, gap.Last));
    }
}

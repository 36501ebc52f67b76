using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.Tests.Alerts;

/// <summary>
/// Time-driven alerts from the due-work table over real SQLite and PostgreSQL: what is due is found without re-reading
/// the fleet, a due time moves with the facts, and two instances work each due subject once.
/// </summary>
public sealed class DueWorkTests(PostgresFixture postgres)
{
    private const string Stale = "device.stale";

    /// <summary>The shipped silence window (rule <c>device.stale</c>).</summary>
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(12);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<AlertHarness> HarnessAsync(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        return new AlertHarness(database, new ManualClock(AlertHarness.Start));
    }

    private static RawMessage Floor(long seq, DateTimeOffset at, string device) =>
        Messages.Telemetry(seq, at, device, "elevator", new Dictionary<string, double> { ["floor"] = seq % 20 });

    /// <summary>Every device of <paramref name="devices"/> is heard now, in one batch, with sequence numbers from <paramref name="seq"/>.</summary>
    private static async Task<long> HearAsync(AlertHarness h, long seq, IEnumerable<string> devices)
    {
        var batch = devices.Select(d => Floor(seq++, h.Clock.GetUtcNow(), d)).ToArray();
        Assert.All(await h.SendAsync(batch), o => Assert.Equal(IngestOutcome.Accepted, o));
        return seq;
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Silence_OneDeviceAmongMany_FiresWithinItsWindowAndWorksOnlyIt(string provider)
    {
        var h = await HarnessAsync(provider);
        var fleet = Enumerable.Range(1, 200).Select(i => $"lift-{i}").ToList();
        var seq = await HearAsync(h, 1, fleet);

        // Everyone but lift-7 keeps talking every two minutes.
        var talking = fleet.Where(d => d != "lift-7").ToList();
        for (var minute = 2; minute <= 12; minute += 2)
        {
            h.Clock.Advance(TimeSpan.FromMinutes(2));
            seq = await HearAsync(h, seq, talking);
            Assert.Equal(0, await h.DueWork.WorkDueAsync(Ct));
        }

        Assert.Empty(await h.AlertsAsync(Stale)); // silent for exactly the window: not yet

        h.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await h.DueWork.WorkDueAsync(Ct));
        var alert = Assert.Single(await h.AlertsAsync(Stale));
        Assert.Equal(("lift-7", "firing"), (alert.Device, alert.State));
        Assert.Equal(h.Clock.GetUtcNow().ToUnixTimeMilliseconds(), alert.FiredAt);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Silence_DeviceHeardAgain_DueTimeMovesAndNoAlertFires(string provider)
    {
        var h = await HarnessAsync(provider);
        await HearAsync(h, 1, ["lift-1"]);
        await h.DueWork.WorkDueAsync(Ct);

        h.Clock.Advance(TimeSpan.FromMinutes(10));
        await HearAsync(h, 2, ["lift-1"]);
        var heard = h.Clock.GetUtcNow();
        Assert.Equal((heard + Window).ToUnixTimeMilliseconds() + 1,
            await h.ScalarAsync<long>("SELECT due_at FROM due_work WHERE site = 'estate' AND subject = 'lift-1'"));

        h.Clock.Advance(Window - TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1)); // past the first window, inside the second
        await h.DueWork.WorkDueAsync(Ct);
        Assert.Empty(await h.AlertsAsync(Stale));

        h.Clock.Advance(TimeSpan.FromMinutes(10));
        await h.DueWork.WorkDueAsync(Ct);
        Assert.Equal("firing", Assert.Single(await h.AlertsAsync(Stale)).State);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task StaleAlert_DeviceHeardAgain_ResolvesAtTheNextDueWork(string provider)
    {
        var h = await HarnessAsync(provider);
        await HearAsync(h, 1, ["lift-1"]);
        h.Clock.Advance(Window + TimeSpan.FromSeconds(1));
        await HearAsync(h, 2, ["lift-2"]); // keeps the gateway heard
        await h.DueWork.WorkDueAsync(Ct);
        Assert.Equal("firing", Assert.Single(await h.AlertsAsync(Stale)).State);

        await HearAsync(h, 3, ["lift-1"]);
        Assert.Equal(1, await h.DueWork.WorkDueAsync(Ct));
        var alert = Assert.Single(await h.AlertsAsync(Stale));
        Assert.Equal(("resolved", "system"), (alert.State, alert.ResolvedBy));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TwoInstances_SameDueSubjects_EachWorkedOnceWithOneAlert(string provider)
    {
        var first = await HarnessAsync(provider);
        var second = new AlertHarness(first.Database, first.Clock);
        var fleet = Enumerable.Range(1, 300).Select(i => $"lift-{i}").ToList();
        await HearAsync(first, 1, fleet);
        await first.DueWork.WorkDueAsync(Ct);

        first.Clock.Advance(Window);
        Assert.All(await first.SendAsync(Messages.Status(1000, first.Clock.GetUtcNow(), "online")), o => Assert.Equal(IngestOutcome.Accepted, o));
        first.Clock.Advance(TimeSpan.FromSeconds(1));
        var worked = await Task.WhenAll(Task.Run(() => first.DueWork.WorkDueAsync(Ct), Ct), Task.Run(() => second.DueWork.WorkDueAsync(Ct), Ct));

        Assert.Equal(fleet.Count, worked.Sum());
        var alerts = await first.AlertsAsync(Stale);
        Assert.Equal(fleet.Order(StringComparer.Ordinal), alerts.Select(a => a.Device).Order(StringComparer.Ordinal));
        Assert.Equal((long)fleet.Count, await first.ScalarAsync<long>(
            "SELECT COUNT(*) FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.rule_id = 'device.stale' AND e.action = 'fired'"));
    }
}

using Facilities.Cloud.Storage;
using Facilities.Cloud.Tests.Alerts;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.Ingestion;

public sealed class RetentionTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task OldBookkeepingIsDeleted_RecentAndAlertsAreKept(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var h = new AlertHarness(database, new ManualClock(AlertHarness.Start));
        await h.SendAsync(Messages.Event(1, AlertHarness.Start, "lift-1", "elevator", "fault_code", 1, "trapped-at-floor"),
            new Facilities.Cloud.Ingestion.RawMessage("facilities/v1/estate/gw-1/status", "not json"u8.ToArray()));
        h.Clock.Advance(TimeSpan.FromDays(8));
        await h.SendAsync(Messages.Event(3, h.Clock.GetUtcNow(), "lift-1", "elevator", "fault_code", 1, "trapped-at-floor"));

        var job = new RetentionJob(database, new RetentionOptions(), h.Clock, NullLogger<RetentionJob>.Instance);
        Assert.Equal(1, await job.RunOnceAsync(Ct));
        Assert.Equal(3L, await h.ScalarAsync<long>("SELECT MIN(first_seq) FROM seen_ranges"));
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT COUNT(*) FROM dead_letters"));
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT COUNT(*) FROM alerts"));

        h.Clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal(2, await job.RunOnceAsync(Ct));
        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT COUNT(*) FROM dead_letters"));
    }
}

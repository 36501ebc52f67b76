using Facilities.Cloud.Storage;
using Microsoft.Extensions.Configuration;
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

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task CounterDays_OlderThanTheWindowAreDeleted_TheElevatorPagesDaysAreKept(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        await using (var connection = await database.OpenAsync(Ct))
        {
            foreach (var (device, day) in new[] { ("lift-1", "2025-01-01"), ("lift-1", "2025-10-17"), ("lift-1", "2025-10-19"), ("lift-2", "2026-11-21"), ("lift-2", "2026-11-22") })
            {
                await Dapper.SqlMapper.ExecuteAsync(connection, "INSERT INTO counter_days (site, device, point, day, first_value, first_ts, last_value, last_ts) VALUES ('estate', @device, 'trips', @day, 1, 0, 2, 0)", new { device, day });
            }
        }

        // 2026-11-22 08:00 UTC less 400 days is 2025-10-18: the two days before it go, that day's successors stay.
        var job = new RetentionJob(database, new RetentionOptions(), new ManualClock(AlertHarness.Start), NullLogger<RetentionJob>.Instance);
        Assert.Equal(2, await job.RunOnceAsync(Ct));
        var h = new AlertHarness(database, new ManualClock(AlertHarness.Start));
        Assert.Equal("2025-10-19", await h.ScalarAsync<string>("SELECT MIN(day) FROM counter_days"));
        Assert.Equal(3L, await h.ScalarAsync<long>("SELECT COUNT(*) FROM counter_days"));
        Assert.Equal(0, await job.RunOnceAsync(Ct));
    }

    [Fact]
    public void Options_TooShortCounterDaysOrNonPositiveWindows_AreRefusedByName()
    {
        var errors = new RetentionOptions { CounterDays = TimeSpan.FromDays(30), DeadLetters = TimeSpan.Zero }.Validate();
        Assert.Contains(errors, e => e.StartsWith("'CounterDays' must be at least 92 days", StringComparison.Ordinal));
        Assert.Contains("'DeadLetters' must be positive; got 00:00:00", errors);
        Assert.Equal(2, errors.Count);
        Assert.Empty(new RetentionOptions().Validate());
        Assert.Equal(Facilities.Cloud.ReadModels.ElevatorEndpoints.MaxUsageDays + 2, RetentionOptions.MinimumCounterDays.TotalDays);
    }

    [Fact]
    public void Build_CounterDaysShorterThanThePagesChart_FailsAtStartNamingTheSection()
    {
        var directory = Directory.CreateTempSubdirectory("retention-config-").FullName;
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => CloudApp.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Retention:CounterDays"] = "30.00:00:00",
                ["Storage:ConnectionString"] = $"Data Source={Path.Combine(directory, "cloud.db")}",
            })));
            Assert.StartsWith("configuration section 'Retention': 'CounterDays' must be at least 92 days", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

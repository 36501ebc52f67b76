using Dapper;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Tests.Storage;

/// <summary>Step 11 turns a database's seen_messages (one row per message) into runs, and gaps read the same from them.</summary>
public sealed class SeenRangesMigrationTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Step11_MakesRunsOfTheSeenNumbers_AndKeepsTheGaps(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct, [.. Schema.All.Where(step => step.Version < 11)]);
        await using (var connection = await database.OpenAsync(Ct))
        {
            foreach (var (gateway, seq, at) in new[] { ("gw-1", 1L, 100L), ("gw-1", 2L, 110L), ("gw-1", 3L, 120L), ("gw-1", 6L, 150L), ("gw-1", 7L, 160L), ("gw-2", 4L, 130L) })
            {
                await connection.ExecuteAsync(
                    "INSERT INTO seen_messages (site, gateway, seq, received_at) VALUES ('estate', @gateway, @seq, @at)", new { gateway, seq, at });
            }
        }

        Assert.Equal(Schema.All.Count(step => step.Version >= 11), await Migrations.ApplyAsync(database, Schema.All, Ct));

        await using var check = await database.OpenAsync(Ct);
        var runs = (await check.QueryAsync<(string Gateway, long First, long Last, long FirstReceived, long LastReceived)>(
            "SELECT gateway, first_seq, last_seq, first_received, last_received FROM seen_ranges ORDER BY gateway, first_seq")).ToList();
        Assert.Equal([("gw-1", 1L, 3L, 100L, 120L), ("gw-1", 6L, 7L, 150L, 160L), ("gw-2", 4L, 4L, 130L, 130L)], runs);

        var gap = Assert.Single(await SequenceGapStore.FindAsync(check, DateTimeOffset.FromUnixTimeMilliseconds(10_000), TimeSpan.FromSeconds(1), Ct));
        Assert.Equal(new SequenceGap("estate", "gw-1", 4, 5), gap);
    }
}

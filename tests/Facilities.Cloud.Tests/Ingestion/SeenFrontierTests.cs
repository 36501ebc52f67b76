using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Tests.Alerts;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>
/// A backlog dealt out to eight consumer slots comes back every eighth number at a time: the runs still filling in live in
/// the gateway's frontier (<c>gateway_streams.frontier</c>), the settled ones in <c>seen_ranges</c>, and the handled set is
/// the same either way: exactly once, on SQLite and PostgreSQL, for the instance that keeps a copy and for one that reads.
/// </summary>
public sealed class SeenFrontierTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int Slots = 8;
    private const int Count = 800;

    private static RawMessage Reading(long seq) =>
        Messages.Telemetry(seq, AlertHarness.Start.AddMilliseconds(seq), "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = seq % 30 });

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task SlotsDeliveredOneAfterAnother_FrontierHoldsTheFragments_ThenOneRowAndNoFrontier(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var first = new AlertHarness(database, new ManualClock(AlertHarness.Start));
        var second = new AlertHarness(database, first.Clock);
        var bySlot = Enumerable.Range(1, Count).GroupBy(seq => seq % Slots).Select(slot => slot.Select(s => (long)s).ToList()).ToList();

        // The first slot's queue: 100 runs of one number each, all in the frontier, none as rows.
        foreach (var batch in bySlot[0].Chunk(25))
        {
            Assert.All(await first.SendAsync([.. batch.Select(Reading)]), o => Assert.Equal(IngestOutcome.Accepted, o));
        }

        Assert.Equal(0L, await first.ScalarAsync<long>("SELECT COUNT(*) FROM seen_ranges"));
        Assert.Equal(1L, await first.ScalarAsync<long>("SELECT COUNT(*) FROM gateway_streams WHERE frontier IS NOT NULL"));

        // Redelivered to the other instance (no copy of its own: it reads the frontier), and to the first: no second effect.
        Assert.All(await second.SendAsync([.. bySlot[0].Take(30).Select(Reading)]), o => Assert.Equal(IngestOutcome.Duplicate, o));
        Assert.All(await first.SendAsync([.. bySlot[0].Skip(30).Select(Reading)]), o => Assert.Equal(IngestOutcome.Duplicate, o));

        // Settled, the gaps between the fragments are gaps (the report reads the frontier too); then the other slots fill them,
        // alternately through both instances, each batch with some numbers the other one already handled.
        await using (var connection = await database.OpenAsync(Ct))
        {
            var gaps = await SequenceGapStore.FindAsync(connection, first.Clock.GetUtcNow().AddMinutes(1), TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(99, gaps.Count);
            Assert.Equal((2L, 8L), (gaps[0].First, gaps[0].Last));
        }

        var accepted = (long)bySlot[0].Count;
        for (var slot = 1; slot < Slots; slot++)
        {
            foreach (var (batch, i) in bySlot[slot].Chunk(25).Select((b, i) => (b, i)))
            {
                var instance = (slot + i) % 2 == 0 ? first : second;
                var outcomes = await instance.SendAsync([.. batch.Concat(bySlot[slot - 1].Take(3)).Select(Reading)]);
                Assert.All(outcomes.Take(batch.Length), o => Assert.Equal(IngestOutcome.Accepted, o));
                Assert.All(outcomes.Skip(batch.Length), o => Assert.Equal(IngestOutcome.Duplicate, o));
                accepted += batch.Length;
            }
        }

        Assert.Equal(Count, accepted);
        var run = Assert.Single(await QueryRunsAsync(first));
        Assert.Equal((1L, (long)Count), run);
        Assert.Equal(0L, await first.ScalarAsync<long>("SELECT COUNT(*) FROM gateway_streams WHERE frontier IS NOT NULL"));
        await using (var connection = await database.OpenAsync(Ct))
        {
            Assert.Empty(await SequenceGapStore.FindAsync(connection, first.Clock.GetUtcNow().AddMinutes(1), TimeSpan.FromSeconds(30), Ct));
        }

        // Everything again, to both: nothing is new.
        Assert.All(await first.SendAsync([.. Enumerable.Range(1, Count).Select(s => Reading(s))]), o => Assert.Equal(IngestOutcome.Duplicate, o));
        Assert.All(await second.SendAsync([.. Enumerable.Range(1, Count).Select(s => Reading(s))]), o => Assert.Equal(IngestOutcome.Duplicate, o));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task FragmentsOlderThanTheFrontiersAge_SettleAsRows_AndStayHandled(string provider)
    {
        // A slot's session that was lost leaves every eighth number missing for good: once its neighbours are old, the
        // fragments become rows (retention ages them out like any run) and the frontier holds only what is young.
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var h = new AlertHarness(database, new ManualClock(AlertHarness.Start));
        var lost = Enumerable.Range(1, 200).Where(seq => seq % Slots != 0).Select(s => (long)s).ToList();
        foreach (var batch in lost.Chunk(50))
        {
            Assert.All(await h.SendAsync([.. batch.Select(Reading)]), o => Assert.Equal(IngestOutcome.Accepted, o));
        }

        Assert.Equal(0L, await h.ScalarAsync<long>("SELECT COUNT(*) FROM seen_ranges"));
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT COUNT(*) FROM gateway_streams WHERE frontier IS NOT NULL"));
        h.Clock.Advance(Domain.Sequences.SeenFrontier.YoungFor + TimeSpan.FromMinutes(1));
        Assert.Equal([IngestOutcome.Accepted], await h.SendAsync(Reading(201)));

        // 1–7, 9–15, … 193–199 as rows; 201, the young one, in the frontier.
        var runs = await QueryRunsAsync(h);
        Assert.Equal(25, runs.Count);
        Assert.Equal(((1L, 7L), (193L, 199L)), (runs[0], runs[^1]));
        Assert.Equal(1L, await h.ScalarAsync<long>("SELECT COUNT(*) FROM gateway_streams WHERE frontier IS NOT NULL"));
        Assert.All(await h.SendAsync([.. lost.Select(Reading)]), o => Assert.Equal(IngestOutcome.Duplicate, o));
    }

    private static async Task<List<(long First, long Last)>> QueryRunsAsync(AlertHarness h)
    {
        await using var connection = await h.Database.OpenAsync(Ct);
        return [.. await Dapper.SqlMapper.QueryAsync<(long, long)>(connection, "SELECT first_seq, last_seq FROM seen_ranges ORDER BY first_seq")];
    }
}

using System.Text;
using Facilities.Cloud.TelemetryStore;
using static Facilities.Cloud.Tests.TelemetryStore.InfluxTesting;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>The history outbox's table on both databases: its bound (oldest dropped, counted) and its claims.</summary>
public sealed class HistoryOutboxTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>No server behind it: these tests never start the drainer.</summary>
    private static InfluxOptions Options => V1("http://127.0.0.1:9", "unused");

    /// <summary>Records one row per lift number, each a single line; returns each row's size in bytes.</summary>
    private static async Task<long[]> RecordLiftsAsync(HistoryBed bed, int count)
    {
        var sizes = new long[count];
        for (var n = 1; n <= count; n++)
        {
            await bed.RecordAsync(Envelopes.Lift(n));
            sizes[n - 1] = HistoryRecorder.Format([Envelopes.Lift(n)]).Body.Length;
        }

        return sizes;
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Trim_PastTheBound_DropsTheOldestRowsAndCountsTheirLinesAndBytes(string provider)
    {
        await using var bed = await HistoryBed.CreateAsync(Options, Ct, provider, postgres);
        var sizes = await RecordLiftsAsync(bed, 10);
        var bound = sizes.Skip(6).Sum(); // room for the newest four rows only

        var dropped = await bed.Outbox.TrimAsync(bound, DateTimeOffset.UtcNow, Ct);

        Assert.Equal(new HistoryDrop(6, 6, sizes.Take(6).Sum()), dropped);
        var backlog = await bed.Outbox.BacklogAsync(Ct);
        Assert.Equal((4, 4, bound), (backlog.Rows, backlog.Lines, backlog.Bytes));
        var kept = await bed.Outbox.ClaimAsync(100, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(1), Ct);
        Assert.Equal(["lift-7", "lift-8", "lift-9", "lift-10"], kept.Select(r => Encoding.UTF8.GetString(r.Body).Split(',')[2]["device=".Length..]));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Trim_WithinTheBound_DropsNothing(string provider)
    {
        await using var bed = await HistoryBed.CreateAsync(Options, Ct, provider, postgres);
        var sizes = await RecordLiftsAsync(bed, 5);

        Assert.Equal(new HistoryDrop(0, 0, 0), await bed.Outbox.TrimAsync(sizes.Sum(), DateTimeOffset.UtcNow, Ct));
        Assert.Equal(5, (await bed.Outbox.BacklogAsync(Ct)).Rows);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Trim_RowsBeingSent_AreLeftAlone(string provider)
    {
        await using var bed = await HistoryBed.CreateAsync(Options, Ct, provider, postgres);
        await RecordLiftsAsync(bed, 4);
        var now = DateTimeOffset.UtcNow;
        var sending = await bed.Outbox.ClaimAsync(2, now, now.AddMinutes(1), Ct);

        var dropped = await bed.Outbox.TrimAsync(1, now, Ct);

        Assert.Equal((2, 2), (dropped.Rows, dropped.Lines));
        Assert.Equal(sending.Select(r => r.Id), (await bed.Outbox.ClaimAsync(100, now.AddMinutes(2), now.AddMinutes(3), Ct)).Select(r => r.Id));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Claim_TwoClaimersAtOnce_NeverGetTheSameRow_AndALeaseRunsOut(string provider)
    {
        await using var bed = await HistoryBed.CreateAsync(Options, Ct, provider, postgres);
        await RecordLiftsAsync(bed, 40);
        var now = DateTimeOffset.UtcNow;

        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => bed.Outbox.ClaimAsync(8, now, now.AddMinutes(1), Ct)));

        var ids = claims.SelectMany(c => c.Select(r => r.Id)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(32, ids.Count);
        Assert.Equal(8, (await bed.Outbox.ClaimAsync(100, now, now.AddMinutes(1), Ct)).Count); // only the rows nobody holds
        Assert.Equal(40, (await bed.Outbox.ClaimAsync(100, now.AddMinutes(2), now.AddMinutes(3), Ct)).Count); // every lease ran out
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Backlog_CountsRowsLinesBytesAndTheOldestTime(string provider)
    {
        await using var bed = await HistoryBed.CreateAsync(Options, Ct, provider, postgres);
        Assert.Equal(HistoryBacklog.Empty, await bed.Outbox.BacklogAsync(Ct));
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await bed.RecordAsync(Envelopes.Lift(1), Envelopes.Lift(2), Envelopes.Lift(3));
        await bed.RecordAsync(Envelopes.Lift(4));

        var backlog = await bed.Outbox.BacklogAsync(Ct);

        Assert.Equal((2, 4), (backlog.Rows, backlog.Lines));
        Assert.Equal(HistoryRecorder.Format([Envelopes.Lift(1), Envelopes.Lift(2), Envelopes.Lift(3), Envelopes.Lift(4)]).Body.Length, backlog.Bytes);
        Assert.InRange(backlog.Oldest!.Value, before, DateTimeOffset.UtcNow);
    }
}

using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>Consumer-slot ownership through PostgreSQL advisory locks, on a real server.</summary>
public sealed class PostgresSlotLocksTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SlotLocks_TwoInstances_CountEachOtherAndNeverHoldOneSlotTogether()
    {
        var (database, storage) = await Databases.CreateAsync("postgres", postgres, Ct);
        await using var _ = database;
        await using var first = await PostgresSlotLocks.OpenAsync(storage.ConnectionString, "cloud", Ct);
        await using var second = await PostgresSlotLocks.OpenAsync(storage.ConnectionString, "cloud", Ct);

        Assert.True(await first.TryTakeAsync(3, Ct));
        Assert.False(await second.TryTakeAsync(3, Ct));
        var seen = await second.ViewAsync(Ct);
        Assert.Equal(2, seen.LiveInstances);
        Assert.Equal([3], seen.HeldElsewhere);
        Assert.Equal(0, seen.Strangers);

        await first.ReleaseAsync(3, Ct);
        Assert.True(await second.TryTakeAsync(3, Ct));
    }

    [Fact]
    public async Task SlotLocks_OwnerConnectionGone_ItsSlotsAreFreeAtOnceAndItNoLongerCounts()
    {
        var (database, storage) = await Databases.CreateAsync("postgres", postgres, Ct);
        await using var _ = database;
        await using var survivor = await PostgresSlotLocks.OpenAsync(storage.ConnectionString, "cloud", Ct);
        var dying = await PostgresSlotLocks.OpenAsync(storage.ConnectionString, "cloud", Ct);
        Assert.True(await dying.TryTakeAsync(0, Ct));

        await dying.DisposeAsync(); // the session ends, as when the process is killed and its socket closes

        // The server ends the closed session's backend a moment later (not within the client's call): wait for it, briefly.
        var seen = await Eventually.FoundAsync(async () => await survivor.ViewAsync(Ct) is { LiveInstances: 1 } view ? view : null,
            "the closed session's locks gone from pg_locks", TimeSpan.FromSeconds(5), Ct);
        Assert.Empty(seen.HeldElsewhere);
        Assert.True(await survivor.TryTakeAsync(0, Ct));
    }

    [Fact]
    public async Task SlotLocks_InstanceWithAnotherPrefix_IsCountedAsAStrangerNotAsAPeer()
    {
        var (database, storage) = await Databases.CreateAsync("postgres", postgres, Ct);
        await using var _ = database;
        await using var mine = await PostgresSlotLocks.OpenAsync(storage.ConnectionString, "facilities-cloud", Ct);
        await using var other = await PostgresSlotLocks.OpenAsync(storage.ConnectionString, "facilities-cloud-b", Ct);
        Assert.True(await other.TryTakeAsync(0, Ct));

        var seen = await mine.ViewAsync(Ct);
        Assert.Equal(1, seen.LiveInstances);
        Assert.Empty(seen.HeldElsewhere);
        Assert.Equal(1, seen.Strangers);
    }
}

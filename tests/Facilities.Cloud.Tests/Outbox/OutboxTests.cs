using Facilities.Cloud.Outbox;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Tests.Outbox;

/// <summary>The shared outbox mechanism (claim, lease, backoff, dead after N) on real SQLite and PostgreSQL.</summary>
public sealed class OutboxTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ScriptedDelivery Answering(Func<Parcel, DeliveryResult> answer) => new((parcel, _) => Task.FromResult(answer(parcel)));

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Claim_TwoInstancesRaceForEveryRow_EachRowClaimedOnce(string provider)
    {
        await using var bed = await OutboxBed.CreateAsync(provider, postgres, Ct);
        await using var other = CloudDatabase.Create(bed.Storage); // a second instance: its own connections
        var keys = await bed.QueueAsync(30, Ct);
        var now = bed.Time.GetUtcNow();
        var (first, second) = (bed.Store(), bed.Store(other));

        var claims = await Task.WhenAll(keys.SelectMany(key => new[] { first, second }.Select(store => store.ClaimAsync(key, now, now.AddMinutes(1), 5, Ct))));

        var claimed = claims.OfType<Parcel>().ToList();
        Assert.Equal(keys, claimed.Select(c => c.Key).Order());
        Assert.All(claimed, c => Assert.Equal((1L, "history"), (c.Attempt, c.Kind)));
        Assert.All(await bed.RowsAsync(Ct), r => Assert.Equal(("sending", 1L), (r.State, r.Attempts)));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_TwoDispatchersAtOnce_SendEachRowOnce(string provider)
    {
        await using var bed = await OutboxBed.CreateAsync(provider, postgres, Ct);
        await using var other = CloudDatabase.Create(bed.Storage);
        var keys = await bed.QueueAsync(40, Ct);
        var delivery = new ScriptedDelivery(async (_, cancellationToken) =>
        {
            await Task.Delay(5, cancellationToken); // keeps both dispatchers in flight together
            return DeliveryResult.Ok("HTTP 200");
        });
        var (first, second) = (bed.Dispatcher(delivery, OutboxBed.Policy(concurrency: 4)), bed.Dispatcher(delivery, OutboxBed.Policy(concurrency: 4), other));

        await Task.WhenAll(first.DispatchDueAsync(Ct), second.DispatchDueAsync(Ct), first.DispatchDueAsync(Ct), second.DispatchDueAsync(Ct));

        Assert.Equal(keys, delivery.Sent.Select(s => s.Key).Order());
        Assert.All(await bed.RowsAsync(Ct), r => Assert.Equal(("delivered", 1L, null), (r.State, r.Attempts, r.LastError)));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Claim_LeaseRunsOut_AnotherInstanceClaimsTheNextAttempt(string provider)
    {
        await using var bed = await OutboxBed.CreateAsync(provider, postgres, Ct);
        var (key, _) = await bed.QueueAndClaimAsync(5, Ct);
        var (store, start) = (bed.Store(), OutboxBed.Start);

        var duringLease = await store.ClaimAsync(key, start.AddSeconds(59), start.AddSeconds(119), 5, Ct);
        var afterLease = await store.ClaimAsync(key, start.AddMinutes(1), start.AddMinutes(2), 5, Ct);

        Assert.Null(duringLease);
        Assert.Equal((key, 2L), (afterLease?.Key, afterLease?.Attempt));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Record_ByASenderWhoseLeaseWasTakenOver_LeavesTheRowToTheNewerClaim(string provider)
    {
        await using var bed = await OutboxBed.CreateAsync(provider, postgres, Ct);
        var (key, slow) = await bed.QueueAndClaimAsync(5, Ct);
        var (store, start) = (bed.Store(), OutboxBed.Start);
        Assert.NotNull(await store.ClaimAsync(key, start.AddMinutes(1), start.AddMinutes(2), 5, Ct));

        var recorded = await store.RecordAsync(slow, DeliveryResult.Ok("HTTP 200"), OutboxOutcome.Delivered, start.AddMinutes(1), start.AddMinutes(1), TimeSpan.FromMinutes(1), Ct);

        Assert.False(recorded);
        var row = Assert.Single(await bed.RowsAsync(Ct));
        Assert.Equal(("sending", 2L, (long?)null), (row.State, row.Attempts, row.DeliveredAt));
        Assert.Equal([(1L, 1L, "HTTP 200")], await bed.AttemptsAsync(key, Ct)); // the late attempt is still in the history
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_FailingAgainAndAgain_WaitDoublesUpToTheCap(string provider)
    {
        await using var bed = await OutboxBed.CreateAsync(provider, postgres, Ct);
        await bed.QueueAsync(1, Ct);
        var dispatcher = bed.Dispatcher(Answering(_ => DeliveryResult.Failed("HTTP 503")), OutboxBed.Policy(maxAttempts: 10));
        var waits = new List<TimeSpan>();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            Assert.Equal(1, await dispatcher.DispatchDueAsync(Ct));
            var row = Assert.Single(await bed.RowsAsync(Ct));
            Assert.Equal(("queued", (long)attempt), (row.State, row.Attempts));
            waits.Add(DateTimeOffset.FromUnixTimeMilliseconds(row.NextAttemptAt) - bed.Time.GetUtcNow());
            Assert.Equal(0, await dispatcher.DispatchDueAsync(Ct)); // not due before its time
            bed.Time.Set(DateTimeOffset.FromUnixTimeMilliseconds(row.NextAttemptAt));
        }

        Assert.Equal([TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(35), TimeSpan.FromSeconds(35)], waits);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_FailingUntilMaxAttempts_RowIsDeadWithTheLastError(string provider)
    {
        await using var bed = await OutboxBed.CreateAsync(provider, postgres, Ct);
        var key = Assert.Single(await bed.QueueAsync(1, Ct));
        var delivery = Answering(parcel => DeliveryResult.Failed($"HTTP 500 try {parcel.Attempt}"));
        var dispatcher = bed.Dispatcher(delivery, OutboxBed.Policy(maxAttempts: 3));

        for (var pass = 0; pass < 8; pass++)
        {
            await dispatcher.DispatchDueAsync(Ct);
            bed.Time.Advance(TimeSpan.FromMinutes(5));
        }

        var row = Assert.Single(await bed.RowsAsync(Ct));
        Assert.Equal(("failed", 3L, "HTTP 500 try 3", (long?)null), (row.State, row.Attempts, row.LastError, row.DeliveredAt));
        Assert.Equal([1L, 2L, 3L], delivery.Sent.Select(s => s.Attempt));
        Assert.Equal([OutboxOutcome.Retrying, OutboxOutcome.Retrying, OutboxOutcome.Failed], delivery.Recorded.Select(r => r.Outcome));
        Assert.Equal([(1L, 0L, "HTTP 500 try 1"), (2L, 0L, "HTTP 500 try 2"), (3L, 0L, "HTTP 500 try 3")], await bed.AttemptsAsync(key, Ct));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_LastAttemptNeverReportedBack_RowFailsWithoutAnotherSend(string provider)
    {
        await using var bed = await OutboxBed.CreateAsync(provider, postgres, Ct);
        await bed.QueueAndClaimAsync(1, Ct); // the only attempt; its sender dies
        var delivery = Answering(_ => DeliveryResult.Ok("HTTP 200"));
        var dispatcher = bed.Dispatcher(delivery, OutboxBed.Policy(maxAttempts: 1));

        bed.Time.Advance(TimeSpan.FromMinutes(1));
        await dispatcher.DispatchDueAsync(Ct);

        var row = Assert.Single(await bed.RowsAsync(Ct));
        Assert.Equal(("failed", 1L), (row.State, row.Attempts));
        Assert.StartsWith("no result recorded", row.LastError, StringComparison.Ordinal);
        Assert.Empty(delivery.Sent);
        Assert.Equal([1], delivery.Abandoned);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task Dispatch_Delivered_RecordsStateTimeAndAttempt(string provider)
    {
        await using var bed = await OutboxBed.CreateAsync(provider, postgres, Ct);
        var key = Assert.Single(await bed.QueueAsync(1, Ct));
        var delivery = Answering(parcel => DeliveryResult.Ok($"HTTP 204 {parcel.Body}"));

        await bed.Dispatcher(delivery, OutboxBed.Policy()).DispatchDueAsync(Ct);

        var row = Assert.Single(await bed.RowsAsync(Ct));
        Assert.Equal(("delivered", 1L, null, OutboxBed.Start.ToUnixTimeMilliseconds()), (row.State, row.Attempts, row.LastError, row.DeliveredAt));
        Assert.Equal([(1L, 1L, "HTTP 204 line 0")], await bed.AttemptsAsync(key, Ct));
        Assert.Equal([(key, OutboxOutcome.Delivered, OutboxBed.Start)], delivery.Recorded);
    }

    [Fact]
    public async Task Dispatch_DeliveryThrows_RecordedAsAFailedAttempt()
    {
        await using var bed = await OutboxBed.CreateAsync("sqlite", postgres, Ct);
        await bed.QueueAsync(1, Ct);
        var delivery = new ScriptedDelivery((_, _) => throw new HttpRequestException("Connection refused (127.0.0.1:9)"));

        await bed.Dispatcher(delivery, OutboxBed.Policy()).DispatchDueAsync(Ct);

        var row = Assert.Single(await bed.RowsAsync(Ct));
        Assert.Equal(("queued", 1L, "HttpRequestException: Connection refused (127.0.0.1:9)"), (row.State, row.Attempts, row.LastError));
    }

    [Fact]
    public async Task Dispatch_NoAnswerWithinSendTimeout_RecordedAsAFailedAttempt()
    {
        await using var bed = await OutboxBed.CreateAsync("sqlite", postgres, Ct);
        await bed.QueueAsync(1, Ct);
        var delivery = new ScriptedDelivery(async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return DeliveryResult.Ok("never");
        });

        await bed.Dispatcher(delivery, OutboxBed.Policy() with { SendTimeout = TimeSpan.FromMilliseconds(200) }).DispatchDueAsync(Ct);

        var row = Assert.Single(await bed.RowsAsync(Ct));
        Assert.Equal(("queued", 1L, "no answer within 0.2 s"), (row.State, row.Attempts, row.LastError));
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 35)]
    [InlineData(64, 35)]
    public void RetryDelay_ByAttempt_DoublesUpToTheCap(long attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), OutboxBed.Policy().RetryDelay(attempt));
}

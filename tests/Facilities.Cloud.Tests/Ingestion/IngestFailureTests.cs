using System.Data.Common;
using Dapper;
using Facilities.Cloud.Ingestion;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>
/// What a database error does to a batch: a message the database refuses for what it is gets parked, the rest go
/// through; a transient error (deadlock, busy, lost connection) parks nothing and leaves the batch to be tried again.
/// </summary>
public sealed class IngestFailureTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Recent: ingestion refuses sample times older than Ingestion:MaxAge (7 days).
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow.AddMinutes(-10);

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task PermanentErrorOnOneMessage_ParksItAndAcceptsTheOthers(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var pipeline = Pipeline(database, new FailingHandler(seq: 2, transient: false, times: int.MaxValue));

        var outcomes = await pipeline.ProcessAsync(Batch(), Ct);

        Assert.Equal([IngestOutcome.Accepted, IngestOutcome.DeadLettered, IngestOutcome.Accepted], outcomes);
        await using var connection = await database.OpenAsync(Ct);
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM dead_letters"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TransientErrorOnOneMessage_ParksNothing_AndTheRetryAcceptsIt(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var handler = new FailingHandler(seq: 2, transient: true, times: 2); // fails in the batch and alone, then heals
        var pipeline = Pipeline(database, handler);

        await Assert.ThrowsAnyAsync<DbException>(() => pipeline.ProcessAsync(Batch(), Ct));
        var retried = await pipeline.ProcessAsync(Batch(), Ct);

        Assert.Equal([IngestOutcome.Duplicate, IngestOutcome.Accepted, IngestOutcome.Accepted], retried);
        await using var connection = await database.OpenAsync(Ct);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM dead_letters"));
        Assert.Equal(3, await connection.ExecuteScalarAsync<long>("SELECT CAST(COALESCE(SUM(last_seq - first_seq + 1), 0) AS BIGINT) FROM seen_ranges"));
    }

    private static IngestPipeline Pipeline(Facilities.Cloud.Storage.CloudDatabase database, IMessageHandler handler) =>
        new(database, [handler], new IngestMetrics(), TimeProvider.System, NullLogger<IngestPipeline>.Instance);

    private static RawMessage[] Batch() =>
    [
        .. Enumerable.Range(1, 3).Select(seq =>
            Messages.Telemetry(seq, Now.AddSeconds(seq), "boiler-1", "boiler", new Dictionary<string, double> { ["supply_temperature"] = 70 + seq })),
    ];

    /// <summary>Throws a database error for one sequence number, a given number of times.</summary>
    private sealed class FailingHandler(long seq, bool transient, int times) : IMessageHandler
    {
        private int _failures;

        public ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken) =>
            envelope.Message.Seq == seq && _failures++ < times ? throw new StoreError(transient) : ValueTask.CompletedTask;
    }

    private sealed class StoreError(bool transient) : DbException(transient ? "deadlock detected" : "value out of range")
    {
        public override bool IsTransient => transient;
    }
}

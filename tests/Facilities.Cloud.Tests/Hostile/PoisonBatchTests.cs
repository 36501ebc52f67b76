using System.Data.Common;
using Dapper;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>
/// A message the store refuses for a reason of its own is parked with the error whatever the batch's size — a batch of
/// one re-thrown would be retried by the consumer for ever, and everything behind it with it — while a transient
/// database error still parks nothing.
/// </summary>
public sealed class PoisonBatchTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow.AddMinutes(-1);

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task StoreRefusesTheOnlyMessageOfABatch_ItIsParkedWithTheError(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var metrics = new IngestMetrics();
        var pipeline = Pipeline(database, new Refusing(new StoreError(transient: false)), metrics);

        var outcomes = await pipeline.ProcessAsync([Reading(1)], Ct);

        Assert.Equal([IngestOutcome.DeadLettered], outcomes);
        await using var connection = await database.OpenAsync(Ct);
        var reason = await connection.ExecuteScalarAsync<string>("SELECT reason FROM dead_letters");
        Assert.Equal("processing failed: StoreError: value out of range", reason);
        Assert.Contains((RejectionCause.Processing, 1L), metrics.DeadLetteredByCause);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task HandlerBugOnTheOnlyMessageOfABatch_ItIsParked_AndTheNextBatchIsStored(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var pipeline = Pipeline(database, new Refusing(new KeyNotFoundException("the device has no building")), new IngestMetrics());

        Assert.Equal([IngestOutcome.DeadLettered], await pipeline.ProcessAsync([Reading(1)], Ct));
        Assert.Equal([IngestOutcome.Accepted], await pipeline.ProcessAsync([Reading(2)], Ct));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task TransientErrorOnTheOnlyMessageOfABatch_ParksNothing(string provider)
    {
        var (database, _) = await Databases.CreateAsync(provider, postgres, Ct);
        var pipeline = Pipeline(database, new Refusing(new StoreError(transient: true)), new IngestMetrics());

        await Assert.ThrowsAnyAsync<DbException>(() => pipeline.ProcessAsync([Reading(1)], Ct));

        await using var connection = await database.OpenAsync(Ct);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM dead_letters"));
    }

    private static IngestPipeline Pipeline(CloudDatabase database, IMessageHandler handler, IngestMetrics metrics) =>
        new(database, [handler], metrics, TimeProvider.System, NullLogger<IngestPipeline>.Instance);

    private static RawMessage Reading(long seq) =>
        Messages.Telemetry(seq, Now, "boiler-1", "boiler", new Dictionary<string, double> { ["supply_temperature"] = 70 });

    /// <summary>Throws for sequence number 1, every time.</summary>
    private sealed class Refusing(Exception error) : IMessageHandler
    {
        public ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken) =>
            envelope.Message.Seq == 1 ? throw error : ValueTask.CompletedTask;
    }

    private sealed class StoreError(bool transient) : DbException(transient ? "deadlock detected" : "value out of range")
    {
        public override bool IsTransient => transient;
    }
}

using System.Collections.Concurrent;
using Dapper;
using Facilities.Cloud.Outbox;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Tests.Outbox;

/// <summary>A message of the test's own outbox kind: an opaque kind and body, as a future kind would keep them.</summary>
internal sealed class Parcel : IOutboxMessage
{
    public long Key { get; set; }

    public long Attempt { get; set; }

    public string Kind { get; set; } = "";

    public string Body { get; set; } = "";
}

/// <summary>A row of the test outbox as read back.</summary>
internal sealed record ParcelRow(long Id, string State, long Attempts, long NextAttemptAt, string? LastError, long? DeliveredAt);

/// <summary>A delivery that answers as the test says and remembers what it was asked and told.</summary>
internal sealed class ScriptedDelivery(Func<Parcel, CancellationToken, Task<DeliveryResult>> send) : IOutboxDelivery<Parcel>
{
    public ConcurrentQueue<(long Key, long Attempt)> Sent { get; } = new();

    public ConcurrentQueue<(long Key, OutboxOutcome Outcome, DateTimeOffset Next)> Recorded { get; } = new();

    public ConcurrentQueue<int> Abandoned { get; } = new();

    public Task<DeliveryResult> SendAsync(Parcel message, CancellationToken cancellationToken)
    {
        Sent.Enqueue((message.Key, message.Attempt));
        return send(message, cancellationToken);
    }

    public void OnRecorded(Parcel message, DeliveryResult result, OutboxOutcome outcome, DateTimeOffset next) => Recorded.Enqueue((message.Key, outcome, next));

    public void OnAbandoned(int count) => Abandoned.Enqueue(count);

    public void OnPassFailed(Exception error) => throw new InvalidOperationException("a pass failed", error);
}

/// <summary>
/// The shared outbox mechanism over a table of its own (<c>parcels</c>, with an attempt history) in a fresh, migrated
/// SQLite or PostgreSQL database, on a clock the test moves.
/// </summary>
internal sealed class OutboxBed : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);

    public static readonly OutboxTable Table = new(
        "parcels", "id", "kind AS Kind, body AS Body", "delivered", "delivered_at", Attempts: new OutboxAttemptTable("parcel_attempts", "parcel_id"));

    private OutboxBed(CloudDatabase database, StorageOptions storage)
    {
        Database = database;
        Storage = storage;
    }

    public CloudDatabase Database { get; }

    /// <summary>Where the database is, for a second instance's own connections.</summary>
    public StorageOptions Storage { get; }

    public ManualClock Time { get; } = new(Start);

    public static OutboxPolicy Policy(int maxAttempts = 5, int concurrency = 1) => new()
    {
        MaxAttempts = maxAttempts, RetryBaseDelay = TimeSpan.FromSeconds(10), RetryMaxDelay = TimeSpan.FromSeconds(35),
        LeaseTime = TimeSpan.FromMinutes(1), SendTimeout = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromMilliseconds(50), Concurrency = concurrency,
    };

    public static async Task<OutboxBed> CreateAsync(string provider, PostgresFixture postgres, CancellationToken cancellationToken)
    {
        var (database, storage) = await Databases.CreateAsync(provider, postgres, cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var statement in new[]
        {
            $"""
            CREATE TABLE parcels (
                id {database.Dialect.IdentityColumn}, kind TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL, last_error TEXT, delivered_at BIGINT)
            """,
            """
            CREATE TABLE parcel_attempts (
                parcel_id BIGINT NOT NULL REFERENCES parcels (id), attempt BIGINT NOT NULL, at BIGINT NOT NULL, delivered BIGINT NOT NULL,
                detail TEXT NOT NULL, duration_ms BIGINT NOT NULL, PRIMARY KEY (parcel_id, attempt))
            """,
        })
        {
            await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken));
        }

        return new OutboxBed(database, storage);
    }

    public OutboxStore<Parcel> Store(CloudDatabase? database = null) => new(database ?? Database, Table);

    public OutboxDispatcher<Parcel> Dispatcher(IOutboxDelivery<Parcel> delivery, OutboxPolicy policy, CloudDatabase? database = null) =>
        new(Store(database), delivery, policy, Time);

    /// <summary>Queues <paramref name="count"/> parcels due now; returns their keys.</summary>
    public async Task<IReadOnlyList<long>> QueueAsync(int count, CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(cancellationToken);
        var keys = new List<long>();
        for (var i = 0; i < count; i++)
        {
            keys.Add(await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "INSERT INTO parcels (kind, body, state, attempts, next_attempt_at) VALUES ('history', @body, 'queued', 0, @now) RETURNING id",
                new { body = $"line {i}", now = Time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken)));
        }

        return keys;
    }

    /// <summary>Queues one parcel and claims it at the start with a one-minute lease, as a sender that then dies would.</summary>
    public async Task<(long Key, Parcel Claimed)> QueueAndClaimAsync(int maxAttempts, CancellationToken cancellationToken)
    {
        var key = (await QueueAsync(1, cancellationToken))[0];
        var claimed = await Store().ClaimAsync(key, Start, Start.AddMinutes(1), maxAttempts, cancellationToken);
        return (key, claimed ?? throw new InvalidOperationException("a fresh row could not be claimed"));
    }

    public async Task<IReadOnlyList<ParcelRow>> RowsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<ParcelRow>(new CommandDefinition(
            "SELECT id AS Id, state AS State, attempts AS Attempts, next_attempt_at AS NextAttemptAt, last_error AS LastError, delivered_at AS DeliveredAt FROM parcels ORDER BY id", cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<(long Attempt, long Delivered, string Detail)>> AttemptsAsync(long key, CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<(long, long, string)>(new CommandDefinition(
            "SELECT attempt, delivered, detail FROM parcel_attempts WHERE parcel_id = @key ORDER BY attempt", new { key }, cancellationToken: cancellationToken))];
    }

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}

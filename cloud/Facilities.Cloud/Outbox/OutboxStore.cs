using Dapper;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Outbox;

/// <summary>
/// The SQL of an outbox, the same for every kind and both databases. Rows are written by the kind inside the
/// transaction of the change they announce, and worked here: a row is due while queued (or sending with a lease that
/// ran out) and under the attempt limit; a sender claims it with a compare-and-set UPDATE that moves
/// <c>next_attempt_at</c> to the end of a lease, so two instances never send it at once and a row whose sender died is
/// taken over when the lease runs out (PostgreSQL re-checks the condition after a concurrent update commits; SQLite
/// has one writer).
/// </summary>
internal sealed class OutboxStore<TMessage>(CloudDatabase database, OutboxTable table)
    where TMessage : IOutboxMessage
{
    private readonly string _updated = table.UpdatedAt is { } column ? $", {column} = @now" : string.Empty;

    /// <summary>Keys of the rows that are due, in due order.</summary>
    public async Task<IReadOnlyList<long>> DueAsync(DateTimeOffset now, int limit, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<long>(new CommandDefinition($"""
            SELECT {table.Key} FROM {table.Name}
            WHERE state IN ('{OutboxTable.Queued}', '{OutboxTable.Sending}') AND next_attempt_at <= @now AND attempts < @maxAttempts
            ORDER BY next_attempt_at, {table.Key} LIMIT @limit
            """,
            new { now = now.ToUnixTimeMilliseconds(), limit, maxAttempts = (long)maxAttempts }, cancellationToken: cancellationToken))];
    }

    /// <summary>Takes a row for one attempt until <paramref name="leaseUntil"/>, or returns null if it is not due (any more).</summary>
    public async Task<TMessage?> ClaimAsync(long key, DateTimeOffset now, DateTimeOffset leaseUntil, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<TMessage>(new CommandDefinition($"""
            UPDATE {table.Name} SET state = '{OutboxTable.Sending}', attempts = attempts + 1, next_attempt_at = @leaseUntil{_updated}
            WHERE {table.Key} = @key AND state IN ('{OutboxTable.Queued}', '{OutboxTable.Sending}') AND next_attempt_at <= @now AND attempts < @maxAttempts
            RETURNING {table.Key} AS Key, attempts AS Attempt, {table.Payload}
            """,
            new { key, now = now.ToUnixTimeMilliseconds(), leaseUntil = leaseUntil.ToUnixTimeMilliseconds(), maxAttempts = (long)maxAttempts },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Records an attempt and moves the row to <paramref name="outcome"/>'s state (queued again at <paramref name="next"/>).
    /// False when the lease had run out and another sender claimed the row meanwhile: the attempt is still recorded in
    /// the history, the row is left to the newer claim.
    /// </summary>
    public async Task<bool> RecordAsync(
        TMessage claimed, DeliveryResult result, OutboxOutcome outcome, DateTimeOffset next, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        ArgumentNullException.ThrowIfNull(result);
        var nowMs = now.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        if (table.Attempts is { } attempts)
        {
            await connection.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO {attempts.Name} ({attempts.Key}, attempt, at, delivered, detail, duration_ms)
                VALUES (@Key, @Attempt, @now, @delivered, @detail, @durationMs) ON CONFLICT DO NOTHING
                """,
                new { claimed.Key, claimed.Attempt, now = nowMs, delivered = result.Delivered ? 1L : 0L, detail = result.Detail, durationMs = (long)duration.TotalMilliseconds },
                transaction, cancellationToken: cancellationToken));
        }

        var updated = await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE {table.Name} SET state = @state, next_attempt_at = @next, last_error = @error, {table.DeliveredAt} = @deliveredAt{_updated}
            WHERE {table.Key} = @Key AND state = '{OutboxTable.Sending}' AND attempts = @Attempt
            """,
            new
            {
                claimed.Key, claimed.Attempt, state = State(outcome), next = next.ToUnixTimeMilliseconds(), now = nowMs,
                error = result.Delivered ? null : result.Detail, deliveredAt = result.Delivered ? nowMs : (long?)null,
            },
            transaction, cancellationToken: cancellationToken));
        await write.CommitAsync(cancellationToken);
        return updated == 1;
    }

    /// <summary>Gives up on rows whose last allowed attempt never reported back (the sending instance stopped mid-send).</summary>
    public async Task<int> AbandonAsync(DateTimeOffset now, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE {table.Name} SET state = '{OutboxTable.Failed}'{_updated},
                last_error = 'no result recorded: the sending instance stopped during the last attempt'
            WHERE state = '{OutboxTable.Sending}' AND next_attempt_at <= @now AND attempts >= @maxAttempts
            """,
            new { now = now.ToUnixTimeMilliseconds(), maxAttempts = (long)maxAttempts }, cancellationToken: cancellationToken));
    }

    private string State(OutboxOutcome outcome) => outcome switch
    {
        OutboxOutcome.Delivered => table.DeliveredState,
        OutboxOutcome.Retrying => OutboxTable.Queued,
        _ => OutboxTable.Failed,
    };
}

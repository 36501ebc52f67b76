using System.Data.Common;
using System.Globalization;
using System.Threading.Channels;
using Dapper;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>One row of the history outbox: the line protocol of one ingest batch in UTF-8, each line ending in <c>\n</c>.</summary>
internal sealed record HistoryRow(long Id, long Lines, byte[] Body);

/// <summary>What waits in the history outbox for InfluxDB, over all instances.</summary>
/// <param name="Rows">Rows waiting: ingest batches.</param>
/// <param name="Lines">Line-protocol lines (points) in them.</param>
/// <param name="Bytes">Bytes of line protocol in them (UTF-8).</param>
/// <param name="Oldest">When the oldest waiting row was recorded; null when nothing waits.</param>
public sealed record HistoryBacklog(long Rows, long Lines, long Bytes, DateTimeOffset? Oldest)
{
    public static HistoryBacklog Empty { get; } = new(0, 0, 0, null);
}

/// <summary>What one trim of the history outbox dropped.</summary>
internal readonly record struct HistoryDrop(long Rows, long Lines, long Bytes);

/// <summary>
/// The history outbox (table <c>history_outbox</c>): telemetry lines wait here, in the cloud's own database, between the
/// ingest transaction that recorded them and InfluxDB's acknowledgement. Each row is one batch, so recording costs one
/// insert per transaction. A drainer claims rows with a lease (<c>leased_until</c>), so two instances never send the same
/// row at once, and a row whose drainer died is taken over when its lease runs out. Also tells the drainer of this
/// process that rows arrived, so it need not poll for its own.
/// </summary>
internal sealed class HistoryOutboxStore(CloudDatabase database)
{
    private readonly Channel<bool> _appended = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _announcedLines;

    /// <summary>Inserts one batch's lines in the caller's transaction; the drainer hears of it once <see cref="Announce"/> is called after the commit.</summary>
    internal static Task AppendAsync(DbConnection connection, DbTransaction transaction, byte[] body, long lines, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO history_outbox (created_at, lines, bytes, body) VALUES (@now, @lines, @bytes, @body)",
            new { now = now.ToUnixTimeMilliseconds(), lines, bytes = (long)body.Length, body }, transaction, cancellationToken: cancellationToken));

    /// <summary>Committed rows holding <paramref name="lines"/> lines arrived (called by this process's recorder).</summary>
    internal void Announce(long lines)
    {
        Interlocked.Add(ref _announcedLines, lines);
        _appended.Writer.TryWrite(true);
    }

    /// <summary>Lines announced since the last call.</summary>
    internal long TakeAnnounced() => Interlocked.Exchange(ref _announcedLines, 0);

    /// <summary>Waits until rows are announced; false when <paramref name="cancellationToken"/> ends the wait first.</summary>
    internal async Task<bool> WaitForAnnouncementAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _appended.Reader.ReadAsync(cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Takes up to <paramref name="rows"/> of the oldest rows nobody holds, leased until <paramref name="leaseUntil"/>, in id
    /// order. On PostgreSQL rows another instance is claiming at this moment are skipped, not waited for.
    /// </summary>
    internal async Task<IReadOnlyList<HistoryRow>> ClaimAsync(int rows, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var skipLocked = database.Provider == DatabaseProvider.Postgres ? " FOR UPDATE SKIP LOCKED" : string.Empty;
        // SQLite keeps the blobs in the column declared TEXT by step 20, and its reader types a column by the declaration.
        var body = database.Provider == DatabaseProvider.Postgres ? "body" : "CAST(body AS BLOB)";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var claimed = await connection.QueryAsync<HistoryRow>(new CommandDefinition(
            $"""
            UPDATE history_outbox SET leased_until = @leaseUntil
            WHERE id IN (SELECT id FROM history_outbox WHERE leased_until <= @now ORDER BY id LIMIT @rows{skipLocked})
            RETURNING id AS Id, lines AS Lines, {body} AS Body
            """,
            new { rows, now = now.ToUnixTimeMilliseconds(), leaseUntil = leaseUntil.ToUnixTimeMilliseconds() }, write.Transaction, cancellationToken: cancellationToken));
        var list = claimed.OrderBy(r => r.Id).ToList();
        await write.CommitAsync(cancellationToken);
        return list;
    }

    /// <summary>Removes rows InfluxDB has taken.</summary>
    internal Task DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken) =>
        ExecuteOnIdsAsync("DELETE FROM history_outbox WHERE id IN ", ids, cancellationToken);

    /// <summary>Gives claimed rows back (a failed write, a shutdown), so the next claim, here or elsewhere, takes them at once.</summary>
    internal Task ReleaseAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken) =>
        ExecuteOnIdsAsync("UPDATE history_outbox SET leased_until = 0 WHERE id IN ", ids, cancellationToken);

    /// <summary>Rows, lines and bytes waiting, and the oldest row's time; summed from an index, not the bodies.</summary>
    public async Task<HistoryBacklog> BacklogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var (rows, lines, bytes, oldest) = await connection.QuerySingleAsync<(long, long, long, long?)>(new CommandDefinition(
            "SELECT COUNT(*), CAST(COALESCE(SUM(lines), 0) AS BIGINT), CAST(COALESCE(SUM(bytes), 0) AS BIGINT), MIN(created_at) FROM history_outbox",
            cancellationToken: cancellationToken));
        return new HistoryBacklog(rows, lines, bytes, oldest is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null);
    }

    /// <summary>
    /// Drops the oldest rows until at most <paramref name="maxBytes"/> bytes wait (rows a drainer is sending right now are
    /// left alone). Returns what was dropped: every instance may trim at once, and each counts only the rows it deleted.
    /// </summary>
    internal async Task<HistoryDrop> TrimAsync(long maxBytes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const int Chunk = 500;
        var dropped = new HistoryDrop(0, 0, 0);
        var excess = (await BacklogAsync(cancellationToken)).Bytes - maxBytes;
        await using var connection = await database.OpenAsync(cancellationToken);
        var free = new { now = now.ToUnixTimeMilliseconds() };
        while (excess > 0)
        {
            var oldest = (await connection.QueryAsync<(long Id, long Bytes)>(new CommandDefinition(
                $"SELECT id, bytes FROM history_outbox WHERE leased_until <= @now ORDER BY id LIMIT {Chunk}", free, cancellationToken: cancellationToken))).ToList();
            if (oldest.Count == 0)
            {
                break;
            }

            long covered = 0;
            var last = oldest[^1].Id;
            foreach (var (id, bytes) in oldest)
            {
                covered += bytes;
                if (covered >= excess)
                {
                    last = id;
                    break;
                }
            }

            List<(long Lines, long Bytes)> deleted;
            await using (var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken))
            {
                deleted = (await connection.QueryAsync<(long Lines, long Bytes)>(new CommandDefinition(
                    "DELETE FROM history_outbox WHERE id <= @last AND leased_until <= @now RETURNING lines, bytes",
                    new { last, free.now }, write.Transaction, cancellationToken: cancellationToken))).ToList();
                await write.CommitAsync(cancellationToken);
            }

            dropped = new HistoryDrop(dropped.Rows + deleted.Count, dropped.Lines + deleted.Sum(d => d.Lines), dropped.Bytes + deleted.Sum(d => d.Bytes));
            excess -= deleted.Sum(d => d.Bytes);
            if (deleted.Count == 0 || oldest.Count < Chunk)
            {
                break;
            }
        }

        return dropped;
    }

    /// <summary>
    /// Runs <paramref name="statement"/> followed by the ids as a literal list: they are numbers this process read from the
    /// table, and a literal list needs neither Dapper's list expansion (an array on Npgsql) nor a cached reader per length.
    /// </summary>
    private async Task ExecuteOnIdsAsync(string statement, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = write.Transaction;
        command.CommandText = $"{statement}({string.Join(",", ids.Select(id => id.ToString(CultureInfo.InvariantCulture)))})";
        await command.ExecuteNonQueryAsync(cancellationToken);
        await write.CommitAsync(cancellationToken);
    }
}

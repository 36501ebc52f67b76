using System.Data;
using System.Data.Common;
using System.Globalization;
using Dapper;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Alerts;

/// <summary>A row of <c>due_work</c>: a device, or a gateway as <c>gateway:{id}</c>, that is due.</summary>
public sealed record DueSubject(string Site, string Subject);

/// <summary>
/// The SQL of the due-work table (<c>due_work</c>, SQLite and PostgreSQL): one row per device or gateway with the time it
/// must be looked at again without a message, in two parts (<see cref="DueTime"/>) and their minimum <c>due_at</c>, which
/// an index keeps in order. Ingestion pushes the silence part on as subjects are heard; whoever evaluates a subject's
/// rules writes both parts; the <see cref="DueWorker"/> claims what is due, earliest first.
/// </summary>
public static class DueWorkStore
{
    /// <summary>
    /// Rows of (site, subject, silence_at): the subjects were heard, so their silence comes due later. When the stored
    /// silence time is unset (waiting for a message) or already past <paramref name="now"/> (its alert may have fired), the
    /// subject is due now instead, so that an open silence alert resolves. Otherwise the row is rewritten only when its time
    /// moves by a second or more: two instances hearing one device write it once. Keys must be distinct.
    /// </summary>
    public static Task HeardAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<object?[]> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // "now" goes into the text: the statement sends its rows as columns, with no room for a value they share.
        var nowMs = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var silence = $"(CASE WHEN due_work.silence_at IS NULL OR due_work.silence_at <= {nowMs} THEN {nowMs} ELSE excluded.silence_at END)";
        return new RowsStatement(
            "INSERT INTO due_work (site, subject, silence_at, due_at)",
            $"""
            ON CONFLICT (site, subject) DO UPDATE SET silence_at = {silence},
                due_at = CASE WHEN due_work.timer_at IS NOT NULL AND due_work.timer_at < {silence} THEN due_work.timer_at ELSE {silence} END
            WHERE due_work.silence_at IS NULL OR due_work.silence_at <= {nowMs} OR ABS(excluded.silence_at - due_work.silence_at) >= 1000
            """,
            DbType.String, DbType.String, DbType.Int64, DbType.Int64).ExecuteAsync(connection, transaction, rows, cancellationToken);
    }

    /// <summary>Stores a subject's due time as its rules' evaluation left it.</summary>
    public static Task SetAsync(DbConnection connection, DbTransaction transaction, string site, string subject, DueTime due, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(due);
        return connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO due_work (site, subject, silence_at, timer_at, due_at) VALUES (@site, @subject, @silence, @timer, @next)
            ON CONFLICT (site, subject) DO UPDATE SET silence_at = excluded.silence_at, timer_at = excluded.timer_at, due_at = excluded.due_at
            """,
            new { site, subject, silence = due.Silence?.ToUnixTimeMilliseconds(), timer = due.Timer?.ToUnixTimeMilliseconds(), next = due.Next?.ToUnixTimeMilliseconds() },
            transaction, cancellationToken: cancellationToken));
    }

    /// <summary>A subject that no longer exists needs nothing.</summary>
    public static Task ForgetAsync(DbConnection connection, DbTransaction transaction, string site, string subject, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("DELETE FROM due_work WHERE site = @site AND subject = @subject", new { site, subject }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Claims up to <paramref name="limit"/> subjects due at <paramref name="now"/>, earliest first, for the transaction to
    /// work: on PostgreSQL the rows are locked and rows other instances hold are skipped (<c>FOR UPDATE SKIP LOCKED</c>), so
    /// two instances claim disjoint sets, and a row another instance worked meanwhile no longer matches (its due time moved).
    /// </summary>
    public static async Task<IReadOnlyList<DueSubject>> ClaimAsync(
        DbConnection connection, DbTransaction transaction, SqlDialect dialect, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        return [.. await connection.QueryAsync<DueSubject>(new CommandDefinition(
            $"SELECT site AS Site, subject AS Subject FROM due_work WHERE due_at <= @now ORDER BY due_at LIMIT @limit{dialect.ForUpdateSkipLocked}",
            new { now = now.ToUnixTimeMilliseconds(), limit }, transaction, cancellationToken: cancellationToken))];
    }

    /// <summary>Claims one subject if it is still due and no other transaction holds it (see <see cref="ClaimAsync(DbConnection, DbTransaction, SqlDialect, DateTimeOffset, int, CancellationToken)"/>).</summary>
    public static async Task<bool> ClaimAsync(DbConnection connection, DbTransaction transaction, SqlDialect dialect, DueSubject subject, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(subject);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            $"SELECT 1 FROM due_work WHERE site = @Site AND subject = @Subject AND due_at <= @now{dialect.ForUpdateSkipLocked}",
            new { subject.Site, subject.Subject, now = now.ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken)) is not null;
    }

    /// <summary>A subject whose evaluation failed is tried again at <paramref name="until"/>, not in a loop.</summary>
    public static Task PutOffAsync(DbConnection connection, DbTransaction transaction, DueSubject subject, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return connection.ExecuteAsync(new CommandDefinition(
            "UPDATE due_work SET due_at = @until WHERE site = @Site AND subject = @Subject AND due_at < @until",
            new { subject.Site, subject.Subject, until = until.ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The earliest due time stored; null when nothing is due without a message.</summary>
    public static async Task<DateTimeOffset?> NextAsync(DbConnection connection, CancellationToken cancellationToken) =>
        UnixTime.FromMs(await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MIN(due_at) FROM due_work", cancellationToken: cancellationToken)));

    /// <summary>
    /// A gateway came back: its <paramref name="devices"/> whose silence waited for a message (they were not judged while it
    /// was down) are due now, so a device that stays silent behind a live gateway is still reported.
    /// </summary>
    public static async Task WakeAsync(DbConnection connection, DbTransaction transaction, string site, IReadOnlyList<string> devices, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(devices);
        foreach (var chunk in devices.Chunk(WakeChunk))
        {
            var parameters = new DynamicParameters(new { site, now = now.ToUnixTimeMilliseconds() });
            await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE due_work SET silence_at = @now, due_at = @now WHERE site = @site AND silence_at IS NULL AND subject IN {SqlList.Add(parameters, "d", chunk)}",
                parameters, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>Devices woken per statement: a gateway's bus is small, but a statement's parameters are not unlimited.</summary>
    private const int WakeChunk = 256;
}

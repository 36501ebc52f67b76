using System.Globalization;
using Dapper;
using Facilities.Cloud.Domain.Sequences;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// The SQL of the handled sequence numbers (<c>seen_ranges</c>) and of the gateways' stream versions
/// (<c>gateway_streams</c>), for SQLite and PostgreSQL, inside an ingest transaction.
/// </summary>
internal static class SeenRangeStore
{
    /// <summary>
    /// Takes the gateway's turn and moves its stream version one up: on PostgreSQL a transaction-scoped advisory lock on the
    /// gateway first, so two instances handling one gateway take turns (always in key order, before any device row is
    /// locked); SQLite has one writer. Returns the version before and after (a gateway not heard before goes from 0 to 1).
    /// </summary>
    public static async Task<StreamVersion> AdvanceAsync(IngestContext context, string site, string gateway, CancellationToken cancellationToken)
    {
        if (context.Database.Provider == DatabaseProvider.Postgres)
        {
            await context.Connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", new { key = $"seen_ranges/{site}/{gateway}" }, context.Transaction, cancellationToken: cancellationToken));
        }

        var after = await context.Connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO gateway_streams (site, gateway, version) VALUES (@site, @gateway, 1)
            ON CONFLICT (site, gateway) DO UPDATE SET version = gateway_streams.version + 1
            RETURNING version
            """,
            new { site, gateway }, context.Transaction, cancellationToken: cancellationToken));
        return new StreamVersion(after - 1, after);
    }

    /// <summary>Every run of the gateway, in order.</summary>
    public static async Task<SeenRange[]> ReadAsync(IngestContext context, string site, string gateway, CancellationToken cancellationToken)
    {
        var rows = await context.Connection.QueryAsync<(long FirstSeq, long LastSeq, long FirstReceived, long LastReceived)>(new CommandDefinition(
            """
            SELECT first_seq, last_seq, first_received, last_received FROM seen_ranges
            WHERE site = @site AND gateway = @gateway ORDER BY first_seq
            """,
            new { site, gateway }, context.Transaction, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new SeenRange(r.FirstSeq, r.LastSeq, r.FirstReceived, r.LastReceived))];
    }

    /// <summary>
    /// Replaces the runs a batch merged away (<paramref name="removed"/>) by the runs it made (<paramref name="added"/>). Runs
    /// consumed from several slots arrive interleaved, so a batch changes about as many runs as it has messages: the
    /// numbers go into the statements as literals (they are numbers, computed here), so a batch costs a few statements
    /// per gateway, not one per run, and SQLite binds two parameters instead of looking up thousands by name.
    /// </summary>
    public static async Task ReplaceAsync(
        IngestContext context, string site, string gateway, IReadOnlyList<SeenRange> removed, IReadOnlyList<SeenRange> added, CancellationToken cancellationToken)
    {
        const int Chunk = 500;
        foreach (var chunk in removed.Chunk(Chunk))
        {
            await ExecuteAsync(context, site, gateway,
                $"DELETE FROM seen_ranges WHERE site = @site AND gateway = @gateway AND first_seq IN ({string.Join(",", chunk.Select(r => Number(r.FirstSeq)))})",
                cancellationToken);
        }

        foreach (var chunk in added.Chunk(Chunk))
        {
            var rows = string.Join(",", chunk.Select(r =>
                $"(@site, @gateway, {Number(r.FirstSeq)}, {Number(r.LastSeq)}, {Number(r.FirstReceived)}, {Number(r.LastReceived)})"));
            await ExecuteAsync(context, site, gateway,
                $"INSERT INTO seen_ranges (site, gateway, first_seq, last_seq, first_received, last_received) VALUES {rows}", cancellationToken);
        }
    }

    /// <summary>A statement of its own text each time, so not through Dapper, which keeps every text it has seen.</summary>
    private static async Task ExecuteAsync(IngestContext context, string site, string gateway, string text, CancellationToken cancellationToken)
    {
        await using var command = context.Connection.CreateCommand();
        command.Transaction = context.Transaction;
        command.CommandText = text;
        foreach (var (name, value) in new[] { ("site", site), ("gateway", gateway) })
        {
            var parameter = command.CreateParameter();
            (parameter.ParameterName, parameter.DbType, parameter.Value) = (name, System.Data.DbType.String, value);
            command.Parameters.Add(parameter);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A gateway's stream version when an ingest transaction began handling it, and after (one up).</summary>
internal readonly record struct StreamVersion(long Before, long After);

using System.Data.Common;
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

    /// <summary>The gateway's settled runs (<c>seen_ranges</c>) and its frontier (<c>gateway_streams.frontier</c>), each in order.</summary>
    public static async Task<(SeenRange[] Rows, SeenRange[] Frontier)> ReadAsync(IngestContext context, string site, string gateway, CancellationToken cancellationToken)
    {
        var rows = await context.Connection.QueryAsync<(long FirstSeq, long LastSeq, long FirstReceived, long LastReceived)>(new CommandDefinition(
            """
            SELECT first_seq, last_seq, first_received, last_received FROM seen_ranges
            WHERE site = @site AND gateway = @gateway ORDER BY first_seq
            """,
            new { site, gateway }, context.Transaction, cancellationToken: cancellationToken));
        var frontier = await context.Connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition(
            "SELECT frontier FROM gateway_streams WHERE site = @site AND gateway = @gateway",
            new { site, gateway }, context.Transaction, cancellationToken: cancellationToken));
        return ([.. rows.Select(r => new SeenRange(r.FirstSeq, r.LastSeq, r.FirstReceived, r.LastReceived))], Frontier(site, gateway, frontier));
    }

    /// <summary>Stores the gateway's frontier (no runs: null).</summary>
    public static Task WriteFrontierAsync(IngestContext context, string site, string gateway, IReadOnlyList<SeenRange> frontier, CancellationToken cancellationToken) =>
        context.Connection.ExecuteAsync(new CommandDefinition(
            "UPDATE gateway_streams SET frontier = @frontier WHERE site = @site AND gateway = @gateway",
            new { site, gateway, frontier = SeenFrontier.Encode(frontier) }, context.Transaction, cancellationToken: cancellationToken));

    /// <summary>Every gateway's runs, settled and frontier together, in order: what the gap report reads.</summary>
    public static async Task<IReadOnlyDictionary<(string Site, string Gateway), SeenRange[]>> ReadAllAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var runs = new Dictionary<(string, string), List<SeenRange>>();
        foreach (var row in await connection.QueryAsync<(string Site, string Gateway, long FirstSeq, long LastSeq, long FirstReceived, long LastReceived)>(new CommandDefinition(
            "SELECT site, gateway, first_seq, last_seq, first_received, last_received FROM seen_ranges ORDER BY site, gateway, first_seq",
            cancellationToken: cancellationToken)))
        {
            Of(row.Site, row.Gateway).Add(new SeenRange(row.FirstSeq, row.LastSeq, row.FirstReceived, row.LastReceived));
        }

        foreach (var (site, gateway, frontier) in await connection.QueryAsync<(string Site, string Gateway, byte[] Frontier)>(new CommandDefinition(
            "SELECT site, gateway, frontier FROM gateway_streams WHERE frontier IS NOT NULL", cancellationToken: cancellationToken)))
        {
            Of(site, gateway).AddRange(Frontier(site, gateway, frontier));
        }

        return runs.ToDictionary(g => g.Key, g => g.Value.OrderBy(r => r.FirstSeq).ToArray());

        List<SeenRange> Of(string site, string gateway) =>
            runs.TryGetValue((site, gateway), out var list) ? list : runs[(site, gateway)] = [];
    }

    /// <summary>Decodes a stored frontier, naming the gateway when it cannot.</summary>
    private static SeenRange[] Frontier(string site, string gateway, byte[]? bytes)
    {
        try
        {
            return SeenFrontier.Decode(bytes);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"gateway_streams.frontier of site '{site}', gateway '{gateway}': {error.Message}", error);
        }
    }

    /// <summary>
    /// Replaces the settled runs a batch took away (<paramref name="removed"/>) by the ones it made (<paramref name="added"/>).
    /// Usually one run changes; when runs move between the rows and the frontier there are more, so the
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

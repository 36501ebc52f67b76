using System.Data.Common;
using Dapper;

namespace Facilities.Cloud.Ingestion;

/// <summary>A run of sequence numbers a gateway sent (they lie between two received ones) that never arrived.</summary>
public sealed record SequenceGap(string Site, string Gateway, long First, long Last);

/// <summary>
/// Finds gaps from the seen-messages table, so it is right whichever instance received what: a gap is the space
/// between two consecutive received numbers. A gap that a late delivery fills disappears by itself.
/// </summary>
public static class SequenceGaps
{
    public static async Task<IReadOnlyList<SequenceGap>> FindAsync(DbConnection connection, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<SequenceGap>(new CommandDefinition("""
            SELECT site, gateway, seq + 1 AS first, next_seq - 1 AS last FROM (
                SELECT site, gateway, seq, LEAD(seq) OVER (PARTITION BY site, gateway ORDER BY seq) AS next_seq FROM seen_messages) runs
            WHERE next_seq > seq + 1
            ORDER BY site, gateway, seq
            """, cancellationToken: cancellationToken))];
}

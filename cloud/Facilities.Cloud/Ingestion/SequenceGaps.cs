using System.Data.Common;
using Dapper;

namespace Facilities.Cloud.Ingestion;

/// <summary>A run of sequence numbers a gateway sent (they lie between two received ones) that never arrived.</summary>
public sealed record SequenceGap(string Site, string Gateway, long First, long Last);

/// <summary>
/// Finds gaps from the seen-messages table, so it is right whichever instance received what: a gap is the space
/// between two consecutive received numbers. Messages still in flight (a batch being handled, a backlog being
/// delivered out of order) are not gaps yet: a gap counts once the number after it has been known for
/// <c>settle</c>. A gap that a late delivery fills disappears by itself.
/// </summary>
public static class SequenceGaps
{
    public static async Task<IReadOnlyList<SequenceGap>> FindAsync(DbConnection connection, DateTimeOffset now, TimeSpan settle, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<GapRow>(new CommandDefinition("""
            SELECT site, gateway, CAST(seq + 1 AS BIGINT) AS first_missing, CAST(next_seq - 1 AS BIGINT) AS last_missing FROM (
                SELECT site, gateway, seq,
                       LEAD(seq) OVER (PARTITION BY site, gateway ORDER BY seq) AS next_seq,
                       LEAD(received_at) OVER (PARTITION BY site, gateway ORDER BY seq) AS next_received
                FROM seen_messages) runs
            WHERE next_seq > seq + 1 AND next_received <= @settled
            ORDER BY site, gateway, seq
            """, new { settled = (now - settle).ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new SequenceGap(r.Site, r.Gateway, r.FirstMissing, r.LastMissing))];
    }

    private sealed class GapRow
    {
        public string Site { get; set; } = "";

        public string Gateway { get; set; } = "";

        public long FirstMissing { get; set; }

        public long LastMissing { get; set; }
    }
}

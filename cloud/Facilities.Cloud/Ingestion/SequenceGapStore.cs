using System.Data.Common;
using Dapper;

namespace Facilities.Cloud.Ingestion;

/// <summary>A run of sequence numbers a gateway sent (they lie between two received ones) that never arrived.</summary>
internal sealed record SequenceGap(string Site, string Gateway, long First, long Last);

/// <summary>
/// Finds gaps from the handled runs of sequence numbers (<c>seen_ranges</c>), so it is right whichever instance received
/// what: a gap is the space between two consecutive runs of a gateway. Messages still in flight (a batch being handled, a backlog being
/// delivered out of order) are not gaps yet: a gap counts once the number after it has been known for
/// <c>settle</c>. A gap that a late delivery fills disappears by itself.
/// </summary>
internal static class SequenceGapStore
{
    public static async Task<IReadOnlyList<SequenceGap>> FindAsync(DbConnection connection, DateTimeOffset now, TimeSpan settle, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<GapRow>(new CommandDefinition("""
            SELECT site, gateway, CAST(last_seq + 1 AS BIGINT) AS first_missing, CAST(next_first - 1 AS BIGINT) AS last_missing FROM (
                SELECT site, gateway, last_seq,
                       LEAD(first_seq) OVER (PARTITION BY site, gateway ORDER BY first_seq) AS next_first,
                       LEAD(first_received) OVER (PARTITION BY site, gateway ORDER BY first_seq) AS next_received
                FROM seen_ranges) runs
            WHERE next_first IS NOT NULL AND next_received <= @settled
            ORDER BY site, gateway, last_seq
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

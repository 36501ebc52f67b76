using System.Data.Common;

namespace Facilities.Cloud.Ingestion;

/// <summary>A run of sequence numbers a gateway sent (they lie between two received ones) that never arrived.</summary>
internal sealed record SequenceGap(string Site, string Gateway, long First, long Last);

/// <summary>
/// Finds gaps from the handled runs of sequence numbers (<c>seen_ranges</c> and each gateway's frontier), so it is right whichever instance received
/// what: a gap is the space between two consecutive runs of a gateway. Messages still in flight (a batch being handled, a backlog being
/// delivered out of order) are not gaps yet: a gap counts once the number after it has been known for
/// <c>settle</c>. A gap that a late delivery fills disappears by itself.
/// </summary>
internal static class SequenceGapStore
{
    public static async Task<IReadOnlyList<SequenceGap>> FindAsync(DbConnection connection, DateTimeOffset now, TimeSpan settle, CancellationToken cancellationToken)
    {
        var settled = (now - settle).ToUnixTimeMilliseconds();
        var gaps = new List<SequenceGap>();
        foreach (var ((site, gateway), runs) in (await SeenRangeStore.ReadAllAsync(connection, cancellationToken)).OrderBy(g => g.Key.Site, StringComparer.Ordinal).ThenBy(g => g.Key.Gateway, StringComparer.Ordinal))
        {
            for (var i = 1; i < runs.Length; i++)
            {
                if (runs[i].FirstReceived <= settled)
                {
                    gaps.Add(new SequenceGap(site, gateway, runs[i - 1].LastSeq + 1, runs[i].FirstSeq - 1));
                }
            }
        }

        return gaps;
    }
}

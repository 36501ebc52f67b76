namespace Facilities.Cloud.Domain.Sequences;

/// <summary>
/// A run of consecutive sequence numbers of one gateway that the cloud has handled, with when its first and its last
/// number arrived (<c>seen_ranges</c>). A gateway numbers its messages one after another, so what it sent is normally one
/// run that grows at its end: one row per gateway instead of one per message. Runs of a gateway never overlap or touch.
/// </summary>
public sealed record SeenRange(long FirstSeq, long LastSeq, long FirstReceived, long LastReceived);

/// <summary>The pure part of recording sequence numbers as runs (the database part is in the host's ingest pipeline).</summary>
public static class SeenRanges
{
    /// <summary>
    /// Which of <paramref name="arrived"/> are new (not inside a stored run), and the runs that replace
    /// <paramref name="stored"/> once the new ones are added. <paramref name="stored"/> must hold every stored run that
    /// overlaps or touches <c>[min − 1, max + 1]</c> of the arrived numbers, so the replacement merges completely.
    /// A number that arrives twice is new once (its first arrival time counts).
    /// </summary>
    public static (List<long> Fresh, List<SeenRange> Merged) Add(IReadOnlyList<SeenRange> stored, IEnumerable<(long Seq, long ReceivedAt)> arrived)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(arrived);
        var ordered = stored.OrderBy(r => r.FirstSeq).ToList();
        var fresh = new List<long>();
        var runs = new List<SeenRange>(ordered);
        var seen = new HashSet<long>();
        foreach (var (seq, receivedAt) in arrived.OrderBy(a => a.Seq))
        {
            if (!seen.Add(seq) || Covers(ordered, seq))
            {
                continue;
            }

            fresh.Add(seq);
            runs.Add(new SeenRange(seq, seq, receivedAt, receivedAt));
        }

        if (fresh.Count == 0)
        {
            return (fresh, ordered);
        }

        runs.Sort((a, b) => a.FirstSeq.CompareTo(b.FirstSeq));
        var merged = new List<SeenRange>();
        foreach (var run in runs)
        {
            if (merged.Count > 0 && merged[^1] is var last && run.FirstSeq <= last.LastSeq + 1)
            {
                merged[^1] = last with
                {
                    LastSeq = Math.Max(last.LastSeq, run.LastSeq),
                    LastReceived = Math.Max(last.LastReceived, run.LastReceived),
                };
            }
            else
            {
                merged.Add(run);
            }
        }

        return (fresh, merged);
    }

    /// <summary>
    /// The runs of <paramref name="ordered"/> (a gateway's runs in order, none overlapping) that overlap or touch
    /// <c>[low, high]</c>: what <see cref="Add"/> needs of them for arrived numbers between <c>low + 1</c> and <c>high − 1</c>.
    /// </summary>
    public static ArraySegment<SeenRange> Touching(SeenRange[] ordered, long low, long high)
    {
        ArgumentNullException.ThrowIfNull(ordered);

        // The first run ending at or after low, then every run starting at or before high.
        var (from, to) = (0, ordered.Length);
        while (from < to)
        {
            var middle = (from + to) / 2;
            (from, to) = ordered[middle].LastSeq < low ? (middle + 1, to) : (from, middle);
        }

        var end = from;
        while (end < ordered.Length && ordered[end].FirstSeq <= high)
        {
            end++;
        }

        return new ArraySegment<SeenRange>(ordered, from, end - from);
    }

    /// <summary>
    /// What <see cref="Add"/> changed: the stored runs that are gone (merged into others) and the runs to store instead.
    /// Runs it left as they were appear in neither, so storing a batch costs what it changed, not what the gateway has.
    /// </summary>
    public static (List<SeenRange> Removed, List<SeenRange> Added) Changes(IReadOnlyList<SeenRange> stored, IReadOnlyList<SeenRange> merged)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(merged);
        var kept = stored.Intersect(merged).ToHashSet();
        return ([.. stored.Where(r => !kept.Contains(r))], [.. merged.Where(r => !kept.Contains(r))]);
    }

    /// <summary><paramref name="ordered"/> with <paramref name="removed"/> taken out and <paramref name="added"/> put in, in order.</summary>
    public static SeenRange[] Apply(SeenRange[] ordered, IReadOnlyCollection<SeenRange> removed, IReadOnlyCollection<SeenRange> added)
    {
        ArgumentNullException.ThrowIfNull(ordered);
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(added);
        var gone = removed.Select(r => r.FirstSeq).ToHashSet();
        var runs = new List<SeenRange>(ordered.Length - removed.Count + added.Count);
        runs.AddRange(ordered.Where(r => !gone.Contains(r.FirstSeq)));
        runs.AddRange(added);
        runs.Sort((a, b) => a.FirstSeq.CompareTo(b.FirstSeq));
        return [.. runs];
    }

    /// <summary>
    /// The numbers of <paramref name="arrived"/> that jump more than <paramref name="maxJump"/> past the highest number
    /// handled so far: <paramref name="highest"/> (null for a gateway not heard before: then the lowest arrived number),
    /// raised by each number accepted, in order. Numbers at or below the highest are never refused (late, or duplicates).
    /// Null when none is refused.
    /// </summary>
    public static HashSet<long>? Implausible(IEnumerable<long> arrived, long? highest, long maxJump)
    {
        ArgumentNullException.ThrowIfNull(arrived);
        HashSet<long>? refused = null;
        long? top = highest;
        foreach (var seq in arrived.Order())
        {
            top ??= seq;
            if (seq - top.Value > maxJump) // both in 1..2^53: no overflow
            {
                (refused ??= []).Add(seq);
            }
            else
            {
                top = Math.Max(top.Value, seq);
            }
        }

        return refused;
    }

    private static bool Covers(List<SeenRange> ordered, long seq)
    {
        // Binary search for the last run starting at or before seq.
        var (low, high) = (0, ordered.Count - 1);
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (ordered[middle].FirstSeq <= seq)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return high >= 0 && seq <= ordered[high].LastSeq;
    }
}

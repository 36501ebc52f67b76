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
        var ordered = InOrder(stored);
        var fresh = new List<long>();
        var merged = new List<SeenRange>(ordered.Count + 1);

        // One walk over the stored runs and the arrived numbers, both in order (a stable sort keeps a repeated number's
        // first arrival first): a number inside the run just placed is not new; a new one is placed as a run of its own,
        // and a run that touches the one before it joins it.
        var next = 0;
        long? previous = null;
        foreach (var (seq, receivedAt) in arrived.OrderBy(a => a.Seq))
        {
            if (seq == previous)
            {
                continue;
            }

            previous = seq;
            while (next < ordered.Count && ordered[next].FirstSeq <= seq)
            {
                Place(merged, ordered[next++]);
            }

            if (merged.Count > 0 && seq <= merged[^1].LastSeq)
            {
                continue;
            }

            fresh.Add(seq);
            Place(merged, new SeenRange(seq, seq, receivedAt, receivedAt));
        }

        if (fresh.Count == 0)
        {
            return (fresh, [.. ordered]);
        }

        while (next < ordered.Count)
        {
            Place(merged, ordered[next++]);
        }

        return (fresh, merged);
    }

    /// <summary>Appends <paramref name="run"/> (starting at or after the last run's start), joining the last run when they overlap or touch.</summary>
    private static void Place(List<SeenRange> runs, SeenRange run)
    {
        if (runs.Count > 0 && runs[^1] is var last && run.FirstSeq <= last.LastSeq + 1)
        {
            runs[^1] = last with { LastSeq = Math.Max(last.LastSeq, run.LastSeq), LastReceived = Math.Max(last.LastReceived, run.LastReceived) };
        }
        else
        {
            runs.Add(run);
        }
    }

    /// <summary><paramref name="runs"/> in order of their first number (as they are, when they already are).</summary>
    private static IReadOnlyList<SeenRange> InOrder(IReadOnlyList<SeenRange> runs)
    {
        for (var i = 1; i < runs.Count; i++)
        {
            if (runs[i].FirstSeq < runs[i - 1].FirstSeq)
            {
                return [.. runs.OrderBy(r => r.FirstSeq)];
            }
        }

        return runs;
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
        var (before, after) = (InOrder(stored), InOrder(merged));
        var (removed, added) = (new List<SeenRange>(), new List<SeenRange>());
        var (i, j) = (0, 0);
        while (i < before.Count || j < after.Count)
        {
            if (j == after.Count || (i < before.Count && before[i].FirstSeq < after[j].FirstSeq))
            {
                removed.Add(before[i++]);
            }
            else if (i == before.Count || after[j].FirstSeq < before[i].FirstSeq)
            {
                added.Add(after[j++]);
            }
            else if (before[i] == after[j])
            {
                (i, j) = (i + 1, j + 1);
            }
            else
            {
                removed.Add(before[i++]);
                added.Add(after[j++]);
            }
        }

        return (removed, added);
    }

    /// <summary>
    /// <paramref name="ordered"/> (in order) with <paramref name="removed"/> taken out and <paramref name="added"/> put in, in
    /// order: one walk, since a gateway may hold thousands of runs while a backlog's gaps fill.
    /// </summary>
    public static SeenRange[] Apply(SeenRange[] ordered, IReadOnlyCollection<SeenRange> removed, IReadOnlyCollection<SeenRange> added)
    {
        ArgumentNullException.ThrowIfNull(ordered);
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(added);
        var gone = removed.Select(r => r.FirstSeq).ToHashSet();
        var coming = InOrder([.. added]);
        var runs = new List<SeenRange>(ordered.Length - removed.Count + added.Count);
        var next = 0;
        foreach (var run in ordered)
        {
            if (gone.Contains(run.FirstSeq))
            {
                continue;
            }

            while (next < coming.Count && coming[next].FirstSeq < run.FirstSeq)
            {
                runs.Add(coming[next++]);
            }

            runs.Add(run);
        }

        while (next < coming.Count)
        {
            runs.Add(coming[next++]);
        }

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
}

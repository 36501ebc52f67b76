namespace Facilities.Cloud.Ingestion;

/// <summary>What an instance does with consumer slots at one rebalance: give up <see cref="Release"/>, try to take <see cref="Take"/>.</summary>
internal sealed record SlotMoves(IReadOnlyList<int> Release, IReadOnlyList<int> Take);

/// <summary>
/// How the consumer slots (<c>Mqtt:ConsumerSlots</c>) are spread over the live instances, as pure arithmetic: each
/// instance holds at most its fair share, ceil(slots / live instances); above it, it gives up the extra (its highest
/// numbers, so slot 0 with the retained subscriptions moves least); below it, it takes slots nobody holds. The shares
/// add up to at least the number of slots, so while a slot is free at least one instance is below its share and takes
/// it: a dead instance's slots are picked up at the next rebalance, and a returning instance gets its share back once
/// the others have shrunk to theirs.
/// </summary>
internal static class SlotShare
{
    public static int FairShare(int slots, int liveInstances)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);

        // This instance is live even when the database has not counted it yet.
        var live = Math.Max(1, liveInstances);
        return (slots + live - 1) / live;
    }

    /// <param name="slots">Slots in all (numbered 0 to slots − 1).</param>
    /// <param name="liveInstances">Instances alive now, this one included.</param>
    /// <param name="owned">The slots this instance holds.</param>
    /// <param name="heldElsewhere">The slots other instances hold.</param>
    public static SlotMoves Plan(int slots, int liveInstances, IReadOnlyCollection<int> owned, IReadOnlyCollection<int> heldElsewhere)
    {
        ArgumentNullException.ThrowIfNull(owned);
        ArgumentNullException.ThrowIfNull(heldElsewhere);
        var share = FairShare(slots, liveInstances);

        // A slot numbered past the configured count (the setting was lowered while it was held) is given up too.
        var beyond = owned.Where(s => s >= slots).ToList();
        var kept = owned.Where(s => s < slots).OrderBy(s => s).ToList();
        if (kept.Count > share)
        {
            return new SlotMoves([.. beyond, .. kept.Skip(share).OrderByDescending(s => s)], []);
        }

        var free = Enumerable.Range(0, slots).Where(s => !kept.Contains(s) && !heldElsewhere.Contains(s));
        return new SlotMoves(beyond, [.. free.Take(share - kept.Count)]);
    }
}

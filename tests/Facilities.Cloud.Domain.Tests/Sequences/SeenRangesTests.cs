using Facilities.Cloud.Domain.Sequences;

namespace Facilities.Cloud.Domain.Tests.Sequences;

public sealed class SeenRangesTests
{
    [Fact]
    public void Add_InOrderNumbers_ExtendTheRunAtItsEnd()
    {
        var (fresh, merged) = SeenRanges.Add([new SeenRange(1, 100, 10, 500)], [(101, 600), (102, 601), (103, 602)]);
        Assert.Equal([101L, 102, 103], fresh);
        Assert.Equal([new SeenRange(1, 103, 10, 602)], merged);
    }

    [Fact]
    public void Add_Redeliveries_AreNotFresh_AndChangeNothing()
    {
        var stored = new List<SeenRange> { new(1, 100, 10, 500), new(200, 210, 900, 950) };
        var (fresh, merged) = SeenRanges.Add(stored, [(5, 1000), (100, 1000), (200, 1000), (205, 1000)]);
        Assert.Empty(fresh);
        Assert.Equal(stored, merged);
    }

    [Fact]
    public void Add_ANumberTwiceInOneBatch_IsFreshOnce_WithItsFirstArrival()
    {
        var (fresh, merged) = SeenRanges.Add([], [(7, 100), (7, 200), (8, 150)]);
        Assert.Equal([7L, 8], fresh);
        Assert.Equal([new SeenRange(7, 8, 100, 150)], merged);
    }

    [Fact]
    public void Add_FillingAGap_JoinsTheRunsOnEitherSide()
    {
        var stored = new List<SeenRange> { new(1, 10, 100, 200), new(14, 20, 300, 400) };
        var (fresh, merged) = SeenRanges.Add(stored, [(13, 500), (11, 450), (12, 460)]);
        Assert.Equal([11L, 12, 13], fresh);
        Assert.Equal([new SeenRange(1, 20, 100, 500)], merged);
    }

    [Fact]
    public void Add_InterleavedWithAnotherInstance_LeavesSeparateRunsThatTheOtherFills()
    {
        // Two instances of a shared subscription get alternate numbers: each leaves holes the other fills.
        var (first, afterFirst) = SeenRanges.Add([], [(1, 10), (3, 11), (5, 12)]);
        Assert.Equal([1L, 3, 5], first);
        Assert.Equal(3, afterFirst.Count);

        var (second, afterSecond) = SeenRanges.Add(afterFirst, [(2, 13), (4, 14), (6, 15)]);
        Assert.Equal([2L, 4, 6], second);
        Assert.Equal([new SeenRange(1, 6, 10, 15)], afterSecond);
    }

    [Fact]
    public void Add_BelowEveryRun_StartsARunThatKeepsItsOwnFirstArrival()
    {
        var (fresh, merged) = SeenRanges.Add([new SeenRange(10, 20, 100, 200)], [(8, 300)]);
        Assert.Equal([8L], fresh);
        Assert.Equal([new SeenRange(8, 8, 300, 300), new SeenRange(10, 20, 100, 200)], merged);
    }

    [Theory]
    [InlineData(new long[] { 11, 12, 13 }, 10L, new long[0])]
    [InlineData(new long[] { 5 }, 10L, new long[0])] // late or a duplicate: never refused
    [InlineData(new long[] { 111 }, 10L, new long[] { 111 })]
    [InlineData(new long[] { 15, 26, 36 }, 10L, new long[] { 26, 36 })] // refused numbers do not raise the highest
    [InlineData(new long[] { 1000, 105, 100 }, null, new long[] { 1000 })] // a new gateway: measured from the batch's lowest
    public void Implausible_JumpPastTheHighestSeen_IsRefused(long[] arrived, long? highest, long[] expected)
    {
        var refused = SeenRanges.Implausible(arrived, highest, maxJump: 10) ?? [];
        Assert.Equal(expected, refused.Order().ToArray());
    }

    [Fact]
    public void Touching_GivesTheRunsOverlappingOrTouchingTheSpan_AndNoOthers()
    {
        SeenRange[] runs = [new(1, 3, 0, 0), new(5, 5, 0, 0), new(7, 9, 0, 0), new(12, 12, 0, 0), new(20, 30, 0, 0)];
        Assert.Equal([runs[1], runs[2]], SeenRanges.Touching(runs, 4, 8).ToArray()); // 4..8: ends at 3 stays out, starts at 12 too
        Assert.Equal([runs[0], runs[1]], SeenRanges.Touching(runs, 3, 5).ToArray());
        Assert.Empty(SeenRanges.Touching(runs, 14, 19).ToArray());
        Assert.Equal([runs[4]], SeenRanges.Touching(runs, 30, 40).ToArray());
        Assert.Empty(SeenRanges.Touching([], 1, 2).ToArray());
    }

    [Fact]
    public void Changes_ListOnlyTheRunsTheBatchMergedAwayAndMade()
    {
        // Slots deliver interleaved: runs 1-1, 3-3, 5-5 are stored; 2 joins the first two, 9 starts a run, 5-5 stays.
        var stored = new List<SeenRange> { new(1, 1, 10, 10), new(3, 3, 30, 30), new(5, 5, 50, 50) };
        var (_, merged) = SeenRanges.Add(stored, [(2, 20), (9, 90)]);
        var (removed, added) = SeenRanges.Changes(stored, merged);
        Assert.Equal([new SeenRange(1, 1, 10, 10), new SeenRange(3, 3, 30, 30)], removed);
        Assert.Equal([new SeenRange(1, 3, 10, 30), new SeenRange(9, 9, 90, 90)], added);

        var after = SeenRanges.Apply([.. stored], removed, added);
        Assert.Equal(merged, after);
    }

    [Fact]
    public void Add_Changes_Apply_AgreeWithSetsOfNumbers_OnRandomInterleavings()
    {
        // Property: whatever runs are stored and whatever arrives (repeats, interleaved slots), the fresh numbers are exactly
        // the arrived ones not stored, and the runs after Apply are the union as maximal runs, in order.
        var random = new Random(20261202);
        for (var round = 0; round < 500; round++)
        {
            var known = Enumerable.Range(1, 200).Where(_ => random.NextDouble() < 0.4).Select(n => (long)n).ToHashSet();
            SeenRange[] stored = [.. Runs(known)];
            var arrived = Enumerable.Range(0, random.Next(0, 60)).Select(_ => ((long)random.Next(1, 201), (long)random.Next(1000))).ToList();

            var low = arrived.Count == 0 ? 0 : arrived.Min(a => a.Item1) - 1;
            var high = arrived.Count == 0 ? 0 : arrived.Max(a => a.Item1) + 1;
            var touching = SeenRanges.Touching(stored, low, high).ToArray();
            var (fresh, merged) = SeenRanges.Add(touching, arrived);
            var (removed, added) = SeenRanges.Changes(touching, merged);
            var after = SeenRanges.Apply(stored, removed, added);

            Assert.Equal(arrived.Select(a => a.Item1).Distinct().Where(n => !known.Contains(n)).Order(), fresh.Order());
            var all = known.Union(fresh).ToHashSet();
            Assert.Equal(Runs(all).Select(r => (r.FirstSeq, r.LastSeq)), after.Select(r => (r.FirstSeq, r.LastSeq)));
        }

        static IEnumerable<SeenRange> Runs(IReadOnlySet<long> numbers)
        {
            long? first = null, last = null;
            foreach (var n in numbers.Order())
            {
                if (last is { } l && n == l + 1)
                {
                    last = n;
                    continue;
                }

                if (first is { } f)
                {
                    yield return new SeenRange(f, last!.Value, 0, 0);
                }

                (first, last) = (n, n);
            }

            if (first is { } ff)
            {
                yield return new SeenRange(ff, last!.Value, 0, 0);
            }
        }
    }
}

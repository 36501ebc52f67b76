using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>The pure arithmetic that spreads consumer slots over the live instances.</summary>
public sealed class SlotShareTests
{
    [Theory]
    [InlineData(8, 1, 8)]
    [InlineData(8, 2, 4)]
    [InlineData(8, 3, 3)]
    [InlineData(8, 9, 1)]
    [InlineData(1, 3, 1)]
    [InlineData(8, 0, 8)] // this instance is live even before the database counts it
    public void FairShare_SlotsOverLiveInstances_IsTheCeiling(int slots, int live, int share) =>
        Assert.Equal(share, SlotShare.FairShare(slots, live));

    [Fact]
    public void Plan_AloneWithNothing_TakesEverySlot()
    {
        var moves = SlotShare.Plan(8, 1, [], []);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], moves.Take);
        Assert.Empty(moves.Release);
    }

    [Fact]
    public void Plan_AboveItsShare_ReleasesTheHighestSlotsAndTakesNone()
    {
        // A second instance appeared: share 4 of 8.
        var moves = SlotShare.Plan(8, 2, [0, 1, 2, 3, 4, 5, 6, 7], []);
        Assert.Equal([7, 6, 5, 4], moves.Release);
        Assert.Empty(moves.Take);
    }

    [Fact]
    public void Plan_BelowItsShare_TakesOnlySlotsNobodyHolds()
    {
        var moves = SlotShare.Plan(8, 2, [4], [0, 1, 2, 3, 5]);
        Assert.Equal([6, 7], moves.Take);
        Assert.Empty(moves.Release);
    }

    [Fact]
    public void Plan_AnInstanceDied_SurvivorsTogetherPickUpEveryFreeSlot()
    {
        // Three instances held 3, 3 and 2; the one with 3, 4 and 5 died. Each survivor's share grows to 4.
        var first = SlotShare.Plan(8, 2, [0, 1, 2], [6, 7]);
        Assert.Equal([3], first.Take);
        var second = SlotShare.Plan(8, 2, [6, 7], [0, 1, 2, 3]);
        Assert.Equal([4, 5], second.Take);
    }

    [Fact]
    public void Plan_RepeatedUntilStable_EverySlotHasOneOwnerAndNoneHoldsMoreThanItsShare()
    {
        // Instances join one by one, then the second one dies: after each change the rounds settle with every slot
        // owned once and each instance within its share.
        var owners = new List<HashSet<int>> { new() };
        Settle(owners, 8);
        owners.Add([]);
        Settle(owners, 8);
        owners.Add([]);
        Settle(owners, 8);
        Assert.Equal([3, 3, 2], owners.Select(o => o.Count).OrderDescending());
        owners.RemoveAt(1);
        Settle(owners, 8);
        Assert.Equal([4, 4], owners.Select(o => o.Count));
    }

    [Fact]
    public void Plan_SettingLowered_ReleasesSlotsPastTheNewCount()
    {
        var moves = SlotShare.Plan(4, 1, [0, 1, 2, 3, 4, 5], []);
        Assert.Equal([4, 5], moves.Release.Order());
        Assert.Empty(moves.Take);
    }

    private static void Settle(List<HashSet<int>> owners, int slots)
    {
        for (var round = 0; round < 10; round++)
        {
            foreach (var mine in owners)
            {
                var elsewhere = owners.Where(o => o != mine).SelectMany(o => o).ToHashSet();
                var moves = SlotShare.Plan(slots, owners.Count, mine, elsewhere);
                mine.ExceptWith(moves.Release);
                mine.UnionWith(moves.Take.Where(s => !elsewhere.Contains(s)));
            }
        }

        var all = owners.SelectMany(o => o).ToList();
        Assert.Equal(Enumerable.Range(0, slots), all.Order());
        Assert.All(owners, o => Assert.True(o.Count <= SlotShare.FairShare(slots, owners.Count)));
    }
}

using Facilities.Gateway.Polling;
using Facilities.Gateway.Profiles;
using Facilities.Modbus.Protocol;

namespace Facilities.Gateway.Tests;

public sealed class ReadPlannerTests
{
    private static PointSpec At(int address, int count = 1, RegisterTable table = RegisterTable.HoldingRegisters, string? name = null) => new()
    {
        Name = name ?? $"p{address}", Table = table, Address = (ushort)address, Count = count,
        Type = table.IsBits() ? PointType.Bool : count == 2 ? PointType.UInt32 : PointType.UInt16,
    };

    [Fact]
    public void Plan_AdjacentPoints_OneRead()
    {
        var blocks = ReadPlanner.Plan([At(0), At(1), At(2, 2), At(4)], maxGap: 0, maxRegisters: 125);
        Assert.Equal((0, 5, 4), (Assert.Single(blocks).Start, blocks[0].Count, blocks[0].Points.Count));
    }

    [Fact]
    public void Plan_GapWithinLimit_IsFilled_BeyondIsSplit()
    {
        var blocks = ReadPlanner.Plan([At(0), At(5), At(20)], maxGap: 4, maxRegisters: 125);
        Assert.Equal([(0, 6), (20, 1)], blocks.Select(b => ((int)b.Start, b.Count)));
    }

    [Fact]
    public void Plan_RespectsDeviceReadLimit()
    {
        var blocks = ReadPlanner.Plan(Enumerable.Range(0, 30).Select(i => At(i)), maxGap: 0, maxRegisters: 10);
        Assert.Equal([10, 10, 10], blocks.Select(b => b.Count));
    }

    [Fact]
    public void Plan_TablesNeverMerge_AndBitsShareRegisters()
    {
        var status = At(0) with { Type = PointType.Bit, Bit = 3, Name = "b3" };
        var other = At(0) with { Type = PointType.Bit, Bit = 4, Name = "b4" };
        var blocks = ReadPlanner.Plan([status, other, At(0, table: RegisterTable.InputRegisters), At(0, table: RegisterTable.Coils)], 8, 125);
        Assert.Equal(3, blocks.Count);
        Assert.Equal(2, blocks.Single(b => b.Table == RegisterTable.HoldingRegisters).Points.Count);
    }

    [Fact]
    public void Split_GappedBlock_BecomesGapFreeRuns()
    {
        var block = Assert.Single(ReadPlanner.Plan([At(0), At(1), At(5), At(6)], maxGap: 8, maxRegisters: 125));
        Assert.True(block.HasGaps);
        var split = ReadPlanner.Split(block, 125);
        Assert.Equal([(0, 2), (5, 2)], split.Select(b => ((int)b.Start, b.Count)));
    }

    [Fact]
    public void Split_GapFreeRun_BecomesOneReadPerPoint_ThenNothing()
    {
        var run = new ReadBlock(RegisterTable.HoldingRegisters, 0, 3, [At(0), At(1, 2)]);
        var single = ReadPlanner.Split(run, 125);
        Assert.Equal([(0, 1), (1, 2)], single.Select(b => ((int)b.Start, b.Count)));
        Assert.Empty(ReadPlanner.Split(single[1], 125));
    }
}

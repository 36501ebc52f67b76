using Facilities.Gateway.Profiles;
using Facilities.Modbus.Protocol;

namespace Facilities.Gateway.Polling;

/// <summary>One request the poller makes: a range of one table and the points it carries.</summary>
public sealed record ReadBlock(RegisterTable Table, ushort Start, int Count, IReadOnlyList<PointSpec> Points)
{
    public int End => Start + Count;

    /// <summary>True if the block reads registers that no point asked for (gap fill).</summary>
    public bool HasGaps => !Covered();

    private bool Covered()
    {
        var covered = new bool[Count];
        foreach (var point in Points)
        {
            for (var i = point.Address; i < point.End; i++)
            {
                covered[i - Start] = true;
            }
        }

        return covered.All(c => c);
    }

    public override string ToString() => $"{Table} {Start}+{Count} ({Points.Count} points)";
}

/// <summary>
/// Coalesces profile points into as few reads as the protocol and the device allow, and splits a merged read that a
/// device refuses with "illegal data address" — a register missing in a gap — into reads that avoid the gap.
/// </summary>
public static class ReadPlanner
{
    /// <summary>Points of the same table merge while the gap between them is at most <paramref name="maxGap"/> and the read stays within the limits.</summary>
    public static IReadOnlyList<ReadBlock> Plan(IEnumerable<PointSpec> points, int maxGap, int maxRegisters)
    {
        var blocks = new List<ReadBlock>();
        foreach (var table in points.GroupBy(p => p.Table).OrderBy(g => g.Key))
        {
            var limit = table.Key.IsBits() ? ModbusLimits.MaxReadBits : maxRegisters;
            var current = new List<PointSpec>();
            int start = 0, end = 0;
            foreach (var point in table.OrderBy(p => p.Address).ThenBy(p => p.End))
            {
                var fits = current.Count > 0
                    && point.Address - end <= maxGap
                    && Math.Max(end, point.End) - start <= limit;
                if (!fits && current.Count > 0)
                {
                    blocks.Add(new ReadBlock(table.Key, (ushort)start, end - start, current));
                    current = [];
                }

                if (current.Count == 0)
                {
                    start = point.Address;
                    end = point.End;
                }

                current.Add(point);
                end = Math.Max(end, point.End);
            }

            if (current.Count > 0)
            {
                blocks.Add(new ReadBlock(table.Key, (ushort)start, end - start, current));
            }
        }

        return blocks;
    }

    /// <summary>
    /// What to read instead of a block the device refused with exception 2: a block that spans gaps becomes its
    /// gap-free runs; a gap-free block of several points becomes one read per point; a single point has nowhere
    /// left to go (the device lacks it) and yields nothing.
    /// </summary>
    public static IReadOnlyList<ReadBlock> Split(ReadBlock block, int maxRegisters)
    {
        if (block.HasGaps)
        {
            return Plan(block.Points, maxGap: 0, maxRegisters);
        }

        return block.Points.Count <= 1 || block.Points.All(p => p.Address == block.Start && p.Count == block.Count)
            ? []
            : [.. block.Points.GroupBy(p => (p.Address, p.Count)).Select(g => new ReadBlock(block.Table, g.Key.Address, g.Key.Count, [.. g]))];
    }
}

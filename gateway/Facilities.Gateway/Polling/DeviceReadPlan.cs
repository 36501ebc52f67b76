using Facilities.Gateway.Profiles;

namespace Facilities.Gateway.Polling;

/// <summary>
/// The reads that cover one device's points, as they currently work. Starts from the most merged plan; each read
/// the device refuses with "illegal data address" is replaced by its split, and the split is kept, so the device
/// is read in full from then on instead of failing every cycle. Points the device refuses even alone are set aside
/// and reported.
/// </summary>
public sealed class DeviceReadPlan
{
    private readonly int _maxRegisters;
    private readonly List<ReadBlock> _blocks;
    private readonly List<PointSpec> _unavailable = [];

    public DeviceReadPlan(CompiledProfile profile)
        : this(profile.Points, profile.MaxGap, profile.MaxRegistersPerRead)
    {
    }

    public DeviceReadPlan(IEnumerable<PointSpec> points, int maxGap, int maxRegisters)
    {
        _maxRegisters = maxRegisters;
        _blocks = [.. ReadPlanner.Plan(points, maxGap, maxRegisters)];
    }

    public IReadOnlyList<ReadBlock> Blocks => _blocks;

    /// <summary>Points the device does not have (it refused a read of the point alone).</summary>
    public IReadOnlyList<PointSpec> Unavailable => _unavailable;

    /// <summary>Replaces a block the device refused with exception 2 and returns what to read in its place.</summary>
    public IReadOnlyList<ReadBlock> Refused(ReadBlock block)
    {
        var index = _blocks.IndexOf(block);
        if (index < 0)
        {
            return [];
        }

        var split = ReadPlanner.Split(block, _maxRegisters);
        _blocks.RemoveAt(index);
        _blocks.InsertRange(index, split);
        if (split.Count == 0)
        {
            _unavailable.AddRange(block.Points);
        }

        return split;
    }
}

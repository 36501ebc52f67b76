using System.Globalization;
using Facilities.Benchmarks.Shared;

namespace Facilities.Modbus.Benchmarks;

/// <summary>The targets, checked against figures measured in the same run. Pure: no I/O.</summary>
internal static class Targets
{
    public const double MasterVsLibmodbus = 0.9;
    public const double SlaveVsLibmodbus = 0.8;
    public const double ManyConnectionsVsOne = 3.0;

    /// <summary>A ushort[10] on 64-bit .NET: 16 B object header, 8 B length, 20 B of values, rounded up to 8.</summary>
    public const double ArrayOfTenRegistersBytes = 48;

    public static IReadOnlyList<Verdict> EvaluateThroughput(ThroughputResults throughput)
    {
        var many = throughput.Get(ScenarioIds.OurMasterManyConnectionsOurServer);
        return
        [
            Ratio("1", "Master: ours vs libmodbus, both against the libmodbus server",
                throughput.MedianOf(ScenarioIds.OurMasterLibmodbusServer), throughput.MedianOf(ScenarioIds.LibmodbusMasterLibmodbusServer),
                MasterVsLibmodbus, informative: false),
            Ratio("1b", "Master: ours vs libmodbus, both against our slave (context)",
                throughput.MedianOf(ScenarioIds.OurMasterOurServer), throughput.MedianOf(ScenarioIds.LibmodbusMasterOurServer),
                MasterVsLibmodbus, informative: true),
            Ratio("2", "Slave: ours vs the libmodbus server, both under the libmodbus master",
                throughput.MedianOf(ScenarioIds.LibmodbusMasterOurServer), throughput.MedianOf(ScenarioIds.LibmodbusMasterLibmodbusServer),
                SlaveVsLibmodbus, informative: false),
            Ratio("3", $"Our master: {many.Connections} connections at once vs 1 connection, against our slave",
                many.Median, throughput.MedianOf(ScenarioIds.OurMasterOurServer),
                ManyConnectionsVsOne, informative: false),
        ];
    }

    public static IReadOnlyList<Verdict> EvaluateAllocations(AllocationResults allocations) =>
        [
            Bytes("4a", "Master allocation per read, `ReadHoldingRegistersAsync(unit, address, Memory<ushort>, ct)`",
                allocations.Get(nameof(MasterAllocationBenchmarks.ReadIntoMemory)).BytesPerOperation, 0),
            Bytes("4b", "Master allocation per read, `ReadHoldingRegistersAsync(unit, address, count, ct)` → `ushort[]`",
                allocations.Get(nameof(MasterAllocationBenchmarks.ReadArray)).BytesPerOperation, ArrayOfTenRegistersBytes),
            Bytes("4c", "Master allocation per read, Memory<ushort> overload with a cancellable token",
                allocations.Get(nameof(MasterAllocationBenchmarks.ReadIntoMemoryCancellable)).BytesPerOperation, 0),
        ];

    private static Verdict Ratio(string number, string comparison, double ours, double reference, double target, bool informative)
    {
        var ratio = ours / reference;
        return new Verdict(number, comparison, Rate(ours), Rate(reference), Invariant($"{ratio:F2}×"), Invariant($"≥ {target:0.0#}×"),
            informative ? null : ratio >= target);
    }

    private static Verdict Bytes(string number, string comparison, double bytes, double limit) =>
        new(number, comparison, Invariant($"{bytes:0.#} B"), "—", "—", limit == 0 ? "0 B" : Invariant($"≤ {limit:0} B (the array)"),
            !double.IsNaN(bytes) && bytes <= limit);

    public static string Rate(double transactionsPerSecond) => Invariant($"{transactionsPerSecond:N0} tx/s");

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

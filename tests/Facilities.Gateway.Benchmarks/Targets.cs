using System.Globalization;
using Facilities.Benchmarks.Shared;

namespace Facilities.Gateway.Benchmarks;

/// <summary>The issue's targets, checked against figures measured in the same run. Pure: no I/O.</summary>
internal static class Targets
{
    public const double SerialEfficiencyHealthy = 0.9;
    public const double SerialEfficiencyOneDead = 0.8;
    public const double GatewayCpuShare = 0.10;

    /// <summary>60 MB read as 60 MiB of VmRSS (which /proc reports in KiB).</summary>
    public const long RssLimitKilobytes = 60 * 1024;

    /// <summary>"No growth": the last quarter of the samples may average at most this much above the second quarter.</summary>
    public const long GrowthLimitKilobytes = 1024;

    public static IReadOnlyList<Verdict> Evaluate(SerialResults? serial, TcpResults? tcp, IReadOnlyList<FootprintResults> footprints)
    {
        var verdicts = new List<Verdict>();
        var letter = 'a';
        foreach (var line in serial?.Lines ?? [])
        {
            foreach (var scenario in line.Scenarios)
            {
                var target = scenario.DeadDevice is null ? SerialEfficiencyHealthy : SerialEfficiencyOneDead;
                var ratio = scenario.TransactionsPerSecond / line.LimitPerSecond;
                verdicts.Add(new Verdict(Invariant($"1{letter++}"),
                    Invariant($"Serial efficiency, {line.Baud} baud, {(scenario.DeadDevice is null ? $"{line.Devices} healthy devices" : $"one of {line.Devices} devices dead")}: gateway vs the line's limit (T + device turnaround)"),
                    Rate(scenario.TransactionsPerSecond), Rate(line.LimitPerSecond), Invariant($"{ratio:F2}"), Invariant($"≥ {target:0.0#}"), ratio >= target));
            }
        }

        if (tcp is not null)
        {
            verdicts.Add(new Verdict("2", Invariant($"Modbus TCP, {tcp.Devices} devices at the profiles' poll rates: gateway CPU"),
                Invariant($"{tcp.GatewayCpu:P1} of a core"), "—", "—", Invariant($"≤ {GatewayCpuShare:P0} of a core"), tcp.GatewayCpu <= GatewayCpuShare));
            verdicts.Add(new Verdict("2b", Invariant($"Modbus TCP, {tcp.Devices} devices: registers read per second vs the rate the poll intervals ask for"),
                Invariant($"{tcp.RegistersPerSecond:N0} registers/s"), Invariant($"{tcp.RegistersPerSecondAsked:N0} registers/s"),
                Invariant($"{tcp.RegistersPerSecond / tcp.RegistersPerSecondAsked:F2}"), "—", null));
        }

        foreach (var footprint in footprints)
        {
            var native = footprint.Label == "native";
            var (max, growth) = (MaxRss(footprint), Growth(footprint));
            verdicts.Add(new Verdict(native ? "3a" : "3c",
                Invariant($"Footprint, sample estate, {footprint.Label}: largest VmRSS over {Minutes(footprint)} min{(native ? "" : " (qemu's own RSS: emulator and translated code included)")}"),
                Megabytes(max), "—", "—", native ? Invariant($"≤ {RssLimitKilobytes / 1024} MiB") : "—", native ? max <= RssLimitKilobytes : null));
            verdicts.Add(new Verdict(native ? "3b" : "3d",
                Invariant($"Footprint, sample estate, {footprint.Label}: growth (mean of the last quarter of the samples minus the second quarter)"),
                Invariant($"{growth / 1024.0:+0.0;-0.0;0.0} MiB"), "—", "—", native ? Invariant($"≤ {GrowthLimitKilobytes / 1024} MiB (no growth)") : "—",
                native ? growth <= GrowthLimitKilobytes : null));
        }

        return verdicts;
    }

    public static long MaxRss(FootprintResults footprint) => footprint.Samples.Max(s => s.RssKilobytes);

    /// <summary>The first quarter is start-up (JIT tiering, first full publications); growth compares the settled quarters.</summary>
    public static double Growth(FootprintResults footprint)
    {
        var samples = footprint.Samples;
        var quarter = Math.Max(1, samples.Count / 4);
        var second = samples.Skip(quarter).Take(quarter).ToList();
        var last = samples.TakeLast(quarter).ToList();
        return second.Count == 0 ? 0 : last.Average(s => s.RssKilobytes) - second.Average(s => s.RssKilobytes);
    }

    /// <summary>The slope of VmRSS over the samples after the first quarter, in kB per hour: a leak shows as a steady rise.</summary>
    public static double TrendPerHour(FootprintResults footprint)
    {
        var settled = footprint.Samples.Skip(footprint.Samples.Count / 4).ToList();
        if (settled.Count < 2)
        {
            return 0;
        }

        var (meanT, meanR) = (settled.Average(s => s.Seconds), settled.Average(s => (double)s.RssKilobytes));
        var slope = settled.Sum(s => (s.Seconds - meanT) * (s.RssKilobytes - meanR)) / settled.Sum(s => (s.Seconds - meanT) * (s.Seconds - meanT));
        return slope * 3600;
    }

    public static string Minutes(FootprintResults footprint) => Invariant($"{footprint.Samples[^1].Seconds / 60:0.#}");

    public static string Rate(double perSecond) => Invariant($"{perSecond:N1} tx/s");

    public static string Megabytes(long kilobytes) => Invariant($"{kilobytes / 1024.0:0.0} MiB");

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

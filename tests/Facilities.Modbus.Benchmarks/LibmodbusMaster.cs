using System.Globalization;

namespace Facilities.Modbus.Benchmarks;

/// <summary>Runs libmodbus/bench_master (built by run.sh) for one timed measurement and reads its transactions/s.</summary>
internal static class LibmodbusMaster
{
    private const string Figure = "tps=";

    public static async Task<double> MeasureAsync(string libmodbusDirectory, int port, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var run = await ChildProcess.RunAsync(Path.Combine(libmodbusDirectory, "bench_master"),
            ["127.0.0.1", port.ToString(CultureInfo.InvariantCulture), warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture), duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)],
            warmup + duration + TimeSpan.FromMinutes(2), cancellationToken);
        var line = run.Stdout.Trim();
        var at = line.IndexOf(Figure, StringComparison.Ordinal);
        if (run.ExitCode != 0 || at < 0)
        {
            throw new InvalidOperationException($"bench_master failed (exit {run.ExitCode}): {line} {run.Stderr.Trim()}");
        }

        return double.Parse(line.AsSpan(at + Figure.Length), CultureInfo.InvariantCulture);
    }
}

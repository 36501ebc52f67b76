using System.Diagnostics;
using System.Globalization;

namespace Facilities.Modbus.Benchmarks;

/// <summary>Runs libmodbus/bench_master (built by run.sh) for one timed measurement and reads its transactions/s.</summary>
internal static class LibmodbusMaster
{
    private const string Figure = "tps=";

    public static async Task<double> MeasureAsync(string libmodbusDirectory, int port, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Path.Combine(libmodbusDirectory, "bench_master"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("127.0.0.1");
        start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(duration.TotalSeconds.ToString(CultureInfo.InvariantCulture));

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {start.FileName}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var line = (await output).Trim();
        var at = line.IndexOf(Figure, StringComparison.Ordinal);
        if (process.ExitCode != 0 || at < 0)
        {
            throw new InvalidOperationException($"bench_master failed (exit {process.ExitCode}): {line} {(await errors).Trim()}");
        }

        return double.Parse(line.AsSpan(at + Figure.Length), CultureInfo.InvariantCulture);
    }
}

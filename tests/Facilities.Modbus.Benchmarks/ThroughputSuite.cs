using System.Globalization;

namespace Facilities.Modbus.Benchmarks;

/// <summary>How long and how often each throughput scenario runs.</summary>
/// <param name="Only">Pairing ids to run (all when empty): for experiments; the report needs all of them.</param>
internal sealed record ThroughputSettings(string LibmodbusDirectory, TimeSpan Warmup, TimeSpan Duration, int Rounds, int Connections, IReadOnlySet<string> Only);

/// <summary>
/// Runs every master/server pairing in the same process run, round after round (so slow drift of the machine hits
/// every pairing alike), and keeps each pairing's median.
/// </summary>
internal sealed class ThroughputSuite(ThroughputSettings settings, TextWriter log)
{
    private const string Libmodbus = "libmodbus";
    private const string Ours = "Facilities.Modbus";

    public async Task<ThroughputResults> RunAsync(CancellationToken cancellationToken)
    {
        var loadAverage = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg", cancellationToken)).Trim() : "";
        var runtimeSettings = string.Join(" ", Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("DOTNET_", StringComparison.Ordinal) && name != "DOTNET_ROOT")
            .Order(StringComparer.Ordinal)
            .Select(name => $"{name}={Environment.GetEnvironmentVariable(name)}"));
        await log.WriteLineAsync($"runtime settings: {(runtimeSettings.Length == 0 ? "defaults" : runtimeSettings)}; load average {loadAverage}");

        await using var libmodbusServer = await ChildServer.StartLibmodbusAsync(settings.LibmodbusDirectory, cancellationToken);
        await using var ourServer = await ChildServer.StartOursAsync(cancellationToken);
        var scenarios = new Scenario[]
        {
            new(ScenarioIds.LibmodbusMasterLibmodbusServer, Libmodbus, "libmodbus server", [libmodbusServer.Port]),
            new(ScenarioIds.OurMasterLibmodbusServer, Ours, "libmodbus server", [libmodbusServer.Port]),
            new(ScenarioIds.LibmodbusMasterOurServer, Libmodbus, "Facilities.Modbus slave", [ourServer.Port]),
            new(ScenarioIds.OurMasterOurServer, Ours, "Facilities.Modbus slave", [ourServer.Port]),
            new(ScenarioIds.OurMasterManyConnectionsOurServer, Ours, "Facilities.Modbus slave",
                [.. Enumerable.Repeat(ourServer.Port, settings.Connections)]),
        }.Where(s => settings.Only.Count == 0 || settings.Only.Contains(s.Id)).ToArray();

        var samples = scenarios.ToDictionary(s => s.Id, _ => new List<double>());
        for (var round = 1; round <= settings.Rounds; round++)
        {
            foreach (var scenario in scenarios)
            {
                var rate = scenario.Master == Libmodbus
                    ? await LibmodbusMaster.MeasureAsync(settings.LibmodbusDirectory, scenario.Ports[0], settings.Warmup, settings.Duration, cancellationToken)
                    : await MasterPolling.MeasureAsync(scenario.Ports, settings.Warmup, settings.Duration, cancellationToken);
                samples[scenario.Id].Add(rate);
                await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}/{settings.Rounds}: {scenario.Master} master x{scenario.Ports.Count} -> {scenario.Server}: {rate:F0} tx/s"));
            }
        }

        return new ThroughputResults(
            runtimeSettings,
            loadAverage,
            settings.Warmup.TotalSeconds,
            settings.Duration.TotalSeconds,
            settings.Rounds,
            [.. scenarios.Select(s => new ScenarioResult(s.Id, s.Master, s.Server, s.Ports.Count, samples[s.Id], Median(samples[s.Id])))]);
    }

    /// <summary>One master/server pairing; the master opens one connection per entry of <paramref name="Ports"/>.</summary>
    private sealed record Scenario(string Id, string Master, string Server, IReadOnlyList<int> Ports);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

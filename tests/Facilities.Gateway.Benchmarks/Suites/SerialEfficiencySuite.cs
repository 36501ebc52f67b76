using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Facilities.Gateway.Benchmarks.Processes;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Site;

namespace Facilities.Gateway.Benchmarks.Suites;

internal sealed record SerialSettings(
    GatewayLaunch Gateway, string Simulator, string ReferenceMaster, IReadOnlyList<int> Bauds, TimeSpan Warmup, TimeSpan Measure, int ClockTicks);

/// <summary>
/// Serial efficiency: eight simulated charger sheds on one line-timed serial line (the simulator holds every frame
/// for its wire time), polled by the gateway every 100 ms (more than the line can carry, so it is saturated), four
/// reads of 10 input registers per poll. Per baud rate: the reference master measures what the line and the
/// devices allow; then the gateway polls all eight healthy; then one device goes silent as the window opens.
/// Each run gets a fresh simulator: its pty lines do not survive a master closing them.
/// </summary>
internal sealed class SerialEfficiencySuite(SerialSettings settings, TextWriter log)
{
    private const int Devices = 8;
    private const string DeadDevice = "shed-8";
    private const string Profile = "benchmark-charger-ports";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);

    public async Task<SerialResults> RunAsync(CancellationToken cancellationToken)
    {
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken, persistence: false);
        var lines = new List<SerialLineResult>();
        foreach (var baud in settings.Bauds)
        {
            lines.Add(await RunLineAsync(baud, broker.Port, cancellationToken));
        }

        return new SerialResults(ServiceEnvironment.Describe(settings.Gateway.Environment), settings.Warmup.TotalSeconds, settings.Measure.TotalSeconds, lines);
    }

    private async Task<SerialLineResult> RunLineAsync(int baud, int brokerPort, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory($"gateway-benchmark-serial-{baud}-").FullName;
        try
        {
            var link = Path.Combine(directory, "line");
            var community = Path.Combine(directory, "community.json");
            var site = Path.Combine(directory, "site.json");
            await WriteFilesAsync(directory, link, baud, community, site, cancellationToken);
            var plan = new DeviceReadPlan(SiteLoader.Load(site, Path.Combine(AppContext.BaseDirectory, "profiles")).Devices[0].Profile).Blocks;

            log.WriteLine($"   {baud} baud: reference master, {settings.Warmup.TotalSeconds:0} s warm-up + {settings.Measure.TotalSeconds:0} s");
            ReferenceResult reference;
            await using (var simulator = await SimulatorProcess.StartAsync(settings.Simulator, community, cancellationToken))
            {
                reference = await RunReferenceAsync(link, baud, plan, cancellationToken);
            }

            var scenarios = new List<SerialScenarioResult>();
            foreach (var dead in new[] { null, DeadDevice })
            {
                log.WriteLine($"   {baud} baud: gateway, {(dead is null ? "all devices healthy" : $"{dead} silent (comm-offline) from the start of the window")}");
                await using var simulator = await SimulatorProcess.StartAsync(settings.Simulator, community, cancellationToken);
                await using var gateway = await GatewayProcess.StartAsync(settings.Gateway, site, brokerPort, metrics: true, cancellationToken);
                await Task.Delay(settings.Warmup, cancellationToken);
                if (dead is not null)
                {
                    await simulator.InjectAsync(dead, "comm-offline", cancellationToken);
                }

                var load = ProcessProbe.LoadAverage();
                var before = await MetricsScrape.ReadAsync(gateway.MetricsPort, cancellationToken);
                var cpu = new CpuWindow(new Dictionary<string, int> { ["gateway"] = gateway.Process.Id }, settings.ClockTicks);
                var started = Stopwatch.GetTimestamp();
                await Task.Delay(settings.Measure, cancellationToken);
                var shares = cpu.Shares();
                var after = await MetricsScrape.ReadAsync(gateway.MetricsPort, cancellationToken);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var counters = after.Since(before);
                var healthy = counters.Where(d => d.Key != dead).Select(d => d.Value).ToList();
                var transactions = healthy.Sum(d => d.Polls - d.Failures) * plan.Count;
                scenarios.Add(new SerialScenarioResult(dead, seconds, transactions, transactions / seconds,
                    dead is null ? 0 : counters[dead].Failures, healthy.Sum(d => d.Failures), shares["gateway"], load, ProcessProbe.LoadAverage()));
            }

            return new SerialLineResult(baud, "even", Devices, [.. plan.Select(b => b.Count)], PollInterval.TotalSeconds, Timeout.TotalSeconds, reference, scenarios);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task WriteFilesAsync(string directory, string link, int baud, string community, string site, CancellationToken cancellationToken)
    {
        var profiles = Directory.CreateDirectory(Path.Combine(directory, "profiles")).FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "profiles", Profile + ".json"), Path.Combine(profiles, Profile + ".json"));
        await File.WriteAllTextAsync(community, JsonSerializer.Serialize(new
        {
            name = $"serial efficiency {baud}",
            speed = 1,
            sites = new[] { new { id = "bench", name = "Benchmark", buildings = new[] { new { id = "b", name = "Shed yard" } } } },
            buses = new[] { new { id = "line", type = "serial", link, baudRate = baud, parity = "even", lineTiming = true } },
            devices = new[] { new { id = "shed", kind = "charger-shed", site = "bench", building = "b", bus = "line", unit = 1, count = Devices, options = new { ports = 12 } } },
        }), cancellationToken);
        await File.WriteAllTextAsync(site, JsonSerializer.Serialize(new
        {
            site = "bench",
            gateway = "gw-bench",
            profiles = "profiles",
            buses = new[] { new { id = "line", type = "serial", device = link, baudRate = baud, parity = "even", timeout = Timeout.ToString() } },
            devices = new[] { new { id = "shed", building = "b", bus = "line", unit = 1, count = Devices, profile = Profile, pollInterval = PollInterval.ToString() } },
        }), cancellationToken);
    }

    /// <summary>The reference master reads what the gateway's plan reads, from every unit in turn.</summary>
    private async Task<ReferenceResult> RunReferenceAsync(string link, int baud, IReadOnlyList<ReadBlock> plan, CancellationToken cancellationToken)
    {
        string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
        var run = await ChildProcess.RunAsync(settings.ReferenceMaster,
        [
            link, Invariant(baud), "even", $"1-{Devices}", string.Join(',', plan.Select(b => b.Start)), Invariant(plan[0].Count),
            plan[0].Table == Modbus.Protocol.RegisterTable.InputRegisters ? "4" : "3",
            Invariant(settings.Warmup.TotalSeconds), Invariant(settings.Measure.TotalSeconds), Invariant(Timeout.TotalMilliseconds),
        ], settings.Warmup + settings.Measure + TimeSpan.FromMinutes(5), cancellationToken);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"the reference master failed ({run.ExitCode}): {run.Stderr}");
        }

        return JsonSerializer.Deserialize(run.Stdout, ResultsJsonContext.Default.ReferenceResult)
            ?? throw new InvalidDataException("the reference master printed nothing");
    }
}

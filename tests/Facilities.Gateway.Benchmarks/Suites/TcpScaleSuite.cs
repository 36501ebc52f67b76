using System.Diagnostics;
using System.Text.Json;
using Facilities.Gateway.Benchmarks.Processes;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Profiles;
using Facilities.Gateway.Site;
using Facilities.Modbus.Protocol;

namespace Facilities.Gateway.Benchmarks.Suites;

internal sealed record TcpSettings(GatewayLaunch Gateway, string Simulator, TimeSpan Warmup, TimeSpan Measure, int ClockTicks);

/// <summary>
/// Modbus TCP at scale: 200 simulated devices on 15 TCP endpoints (a realistic mix: mostly elevators, as in the
/// sample estate), polled by the gateway at the shipped profiles' own intervals (elevator 1 s, boiler 10 s,
/// charger shed 5 s, AED cabinet 60 s). Gateway, simulator and broker each run in their own process; the
/// gateway's CPU comes from /proc/PID/stat over the window, its reads from its metrics endpoint.
/// </summary>
internal sealed class TcpScaleSuite(TcpSettings settings, TextWriter log)
{
    /// <summary>Kind, devices per bus, buses, simulator options, profile.</summary>
    private static readonly (string Kind, int PerBus, int Buses, object? Options, string Profile)[] Mix =
    [
        ("elevator", 16, 10, null, "facilities-sim-elevator"),
        ("boiler", 8, 1, null, "facilities-sim-boiler"),
        ("charger-shed", 8, 1, new { ports = 12 }, "facilities-sim-charger-shed-12"),
        ("charger-shed", 8, 1, new { ports = 16 }, "facilities-sim-charger-shed-16"),
        ("aed-cabinet", 8, 2, null, "facilities-sim-aed-cabinet"),
    ];

    public async Task<TcpResults> RunAsync(CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-benchmark-tcp-").FullName;
        try
        {
            var buses = Mix.SelectMany((m, i) => Enumerable.Range(1, m.Buses).Select(b => (Id: $"{m.Kind}-{i + 1}-{b}", Mix: m))).ToList();
            var community = Path.Combine(directory, "community.json");
            await File.WriteAllTextAsync(community, JsonSerializer.Serialize(new
            {
                name = "tcp at scale",
                speed = 1,
                sites = new[] { new { id = "scale", name = "Scale", buildings = new[] { new { id = "b", name = "Estate" } } } },
                buses = buses.Select(b => new { id = b.Id, type = "tcp", port = 0 }),
                devices = buses.Select(b => new { id = b.Id, kind = b.Mix.Kind, site = "scale", building = "b", bus = b.Id, unit = 1, count = b.Mix.PerBus, options = b.Mix.Options }),
            }), cancellationToken);

            await using var broker = await MosquittoBroker.StartAsync(cancellationToken, persistence: false);
            await using var simulator = await SimulatorProcess.StartAsync(settings.Simulator, community, cancellationToken);
            var site = Path.Combine(directory, "site.json");
            await File.WriteAllTextAsync(site, JsonSerializer.Serialize(new
            {
                site = "scale",
                gateway = "gw-scale",
                buses = buses.Select(b => new { id = b.Id, type = "tcp", host = simulator.Bus(b.Id).Host, port = simulator.Bus(b.Id).Port, maxRequestsInFlight = 4, timeout = "00:00:01" }),
                devices = buses.Select(b => new { id = b.Id, building = "b", bus = b.Id, unit = 1, count = b.Mix.PerBus, profile = b.Mix.Profile }),
            }), cancellationToken);
            var loaded = SiteLoader.Load(site, Path.Combine(AppContext.BaseDirectory, "profiles"));

            var devices = loaded.Devices.Count;
            log.WriteLine($"   {devices} devices on {buses.Count} TCP endpoints: {settings.Warmup.TotalSeconds:0} s warm-up + {settings.Measure.TotalSeconds:0} s");
            await using var gateway = await GatewayProcess.StartAsync(settings.Gateway, site, broker.Port, metrics: true, cancellationToken);
            await Task.Delay(settings.Warmup, cancellationToken);

            var load = ProcessProbe.LoadAverage();
            var before = await MetricsScrape.ReadAsync(gateway.MetricsPort, cancellationToken);
            var cpu = new CpuWindow(new Dictionary<string, int>
            {
                ["gateway"] = gateway.Process.Id, ["simulator"] = simulator.Process.Id, ["broker"] = broker.ProcessId,
            }, settings.ClockTicks);
            var started = Stopwatch.GetTimestamp();
            await Task.Delay(settings.Measure, cancellationToken);
            // CPU first: answering the scrape is the benchmark's doing, not polling.
            var shares = cpu.Shares();
            var after = await MetricsScrape.ReadAsync(gateway.MetricsPort, cancellationToken);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var rss = ProcessProbe.Memory(gateway.Process.Id, seconds).RssKilobytes;
            var counters = after.Since(before);

            var kinds = loaded.Devices.GroupBy(d => (d.Profile.Name, d.Interval)).Select(g =>
            {
                var profile = g.First().Profile;
                var schedule = Schedule(profile, g.Key.Interval);
                var polls = g.Sum(d => counters[d.Id].Polls);
                var good = g.Sum(d => counters[d.Id].Polls - counters[d.Id].Failures);
                var pollsAsked = g.Count() / schedule.Min(s => s.Interval).TotalSeconds;
                var readsAsked = g.Count() * schedule.Sum(s => s.Plan.Count / s.Interval.TotalSeconds);
                var registersAsked = g.Count() * schedule.Sum(s => s.Plan.Where(b => !b.Table.IsBits()).Sum(b => b.Count) / s.Interval.TotalSeconds);
                // The metrics count polls, not reads; a poll reads the groups that are due, so what was read is
                // what the schedule asks for, scaled by the share of the asked polls that were done and answered.
                var done = good / seconds / pollsAsked;
                return new KindResult(profile.Kind, profile.Name, g.Count(),
                    string.Join(", ", schedule.Select(s => $"{s.Interval.TotalSeconds:0.#} s ({s.Plan.Count} read{(s.Plan.Count == 1 ? "" : "s")})")),
                    pollsAsked, polls / seconds, readsAsked, registersAsked, readsAsked * done, registersAsked * done, g.Sum(d => counters[d.Id].Failures));
            }).ToList();

            return new TcpResults(ServiceEnvironment.Describe(settings.Gateway.Environment), buses.Count, settings.Warmup.TotalSeconds, seconds, kinds,
                shares["gateway"], shares["simulator"], shares["broker"], after.Published - before.Published, rss, load, ProcessProbe.LoadAverage());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// The reads of one device on each of its intervals, grouped as the gateway's poller groups them: points that
    /// name their own interval are read on it, the rest on the device's.
    /// </summary>
    private static IReadOnlyList<(TimeSpan Interval, IReadOnlyList<ReadBlock> Plan)> Schedule(CompiledProfile profile, TimeSpan deviceInterval) =>
        [.. profile.Points.GroupBy(p => p.Interval ?? deviceInterval).OrderBy(g => g.Key)
            .Select(g => (g.Key, ReadPlanner.Plan(g, profile.MaxGap, profile.MaxRegistersPerRead)))];
}

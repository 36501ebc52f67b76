using System.Diagnostics;
using Facilities.Gateway.Benchmarks.Processes;

namespace Facilities.Gateway.Benchmarks.Suites;

internal sealed record FootprintSettings(
    string Label, GatewayLaunch Gateway, string Simulator, string SiteFile, TimeSpan Duration, TimeSpan Interval, int ClockTicks);

/// <summary>
/// Footprint: the gateway polls the simulated sample estate (firmware-sim's sample-estate community and the
/// gateway's sites/sample-estate.json, on their fixed ports 15020–15023 and ptys under /tmp/facilities-sim) and its
/// resident memory is sampled from /proc/PID/status at a fixed interval for the whole duration.
/// </summary>
internal sealed class FootprintSuite(FootprintSettings settings, TextWriter log)
{
    private static readonly int[] SampleEstatePorts = [15020, 15021, 15022, 15023];

    public async Task<FootprintResults> RunAsync(CancellationToken cancellationToken)
    {
        var taken = new List<int>();
        foreach (var port in SampleEstatePorts)
        {
            if (await FreePort.IsListeningAsync(port, cancellationToken))
            {
                taken.Add(port);
            }
        }

        if (taken.Count > 0)
        {
            throw new InvalidOperationException(
                $"the sample estate needs 127.0.0.1 ports 15020-15023, but something listens on {string.Join(", ", taken)}; stop it (another facilities-sim?) and run again");
        }

        await using var broker = await MosquittoBroker.StartAsync(cancellationToken, persistence: false);
        await using var simulator = await SimulatorProcess.StartAsync(settings.Simulator, "sample-estate", cancellationToken);
        log.WriteLine($"   {settings.Label}: {settings.Gateway.Description}; sampling every {settings.Interval.TotalSeconds:0} s for {settings.Duration.TotalMinutes:0.#} min");
        await using var gateway = await GatewayProcess.StartAsync(settings.Gateway, settings.SiteFile, broker.Port, metrics: false, cancellationToken);
        var loadStart = ProcessProbe.LoadAverage();
        var cpu = new CpuWindow(new Dictionary<string, int> { ["gateway"] = gateway.Process.Id }, settings.ClockTicks);
        var started = Stopwatch.GetTimestamp();
        var samples = new List<MemorySample>();
        for (var next = settings.Interval; next <= settings.Duration; next += settings.Interval)
        {
            var wait = next - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            if (gateway.Process.HasExited)
            {
                throw new InvalidOperationException($"the gateway exited during the footprint run:\n{gateway.Process.Tail()}");
            }

            var sample = ProcessProbe.Memory(gateway.Process.Id, Stopwatch.GetElapsedTime(started).TotalSeconds);
            samples.Add(sample);
            if (samples.Count % 6 == 0)
            {
                log.WriteLine($"     {sample.Seconds,5:0} s: VmRSS {sample.RssKilobytes / 1024.0:0.0} MiB, VmHWM {sample.PeakRssKilobytes / 1024.0:0.0} MiB");
            }
        }

        return new FootprintResults(settings.Label, settings.Gateway.Description, ServiceEnvironment.Describe(settings.Gateway.Environment),
            settings.Interval.TotalSeconds, samples, cpu.Shares()["gateway"], loadStart, ProcessProbe.LoadAverage());
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Facilities.Cloud.Storage;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;
using Facilities.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Benchmarks;

/// <summary>
/// What one storage variant measured, per fault in milliseconds: from the register change to the order's commit, to a
/// reader seeing it, and the two parts of the first: to the gateway's poll that read the fault (the event's sample
/// time) and from that poll to the commit (gateway outbox, MQTT, cloud).
/// </summary>
internal sealed record FaultToOrderResult(
    string Storage, int Devices, int Elevators, double PollIntervalMs, IReadOnlyList<double> CommittedMs, IReadOnlyList<double> SeenMs,
    IReadOnlyList<double> ToPollMs, IReadOnlyList<double> PollToCommitMs, long MessagesAccepted, double MessagesPerSecond, string LoadAverage);

/// <summary>
/// Fault to work order at the sample estate's load: firmware-sim's <c>sample-estate</c> community (every device, every
/// bus, on free ports and private serial links), the gateway with the shipped <c>sample-estate</c> site file, a real
/// Mosquitto and the whole cloud (production defaults). A trapped passenger is injected into one elevator after
/// another (each once, at a random moment of its poll cycle); the time runs from the injection — the register
/// change in the simulator — to the committed work order.
/// </summary>
internal sealed class FaultToOrderRun(int faults, TextWriter log)
{
    public const string Fault = "trapped-at-floor";
    public const string Rule = "elevator.trapped-at-floor";

    private static readonly string Root = FindRoot();

    public async Task<FaultToOrderResult> RunAsync(string storage, string connectionString, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("fault-to-order-").FullName;
        try
        {
            return await RunInAsync(directory, storage, connectionString, cancellationToken);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<FaultToOrderResult> RunInAsync(string directory, string storage, string connectionString, CancellationToken cancellationToken)
    {
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken);
        await using var cloud = await CloudUnderTest.StartAsync(broker.Port, "bench-fault-cloud", new CloudStorage(storage, connectionString, null, null), cancellationToken);
        await using var community = await CommunityHost.StartAsync(Community(directory), TimeProvider.System, NullLogger.Instance, cancellationToken);
        var site = Site(community, directory);
        var runtime = GatewayRuntime.Start(site, new GatewayOptions { DataDirectory = Path.Combine(directory, "gateway"), MetricsPort = 0 },
            new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);
        try
        {
            var database = cloud.Services.GetRequiredService<CloudDatabase>();
            var total = community.Devices.Count;
            log.WriteLine($"   {storage}: {total} devices; waiting for every one to be online in the cloud");
            await WaitAsync(async () => await ScalarAsync(database, "SELECT COUNT(*) FROM devices WHERE state = 'online'", null, cancellationToken) >= total,
                TimeSpan.FromMinutes(3), "every device online", cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken); // settle: first full readings are through

            var elevators = community.Devices.Where(d => d.Kind == "elevator").Take(faults).ToList();
            if (elevators.Count < faults)
            {
                throw new InvalidOperationException($"the sample estate has {elevators.Count} elevators; --faults {faults} needs as many");
            }

            var accepted0 = cloud.Ingest.Accepted;
            var clock = Stopwatch.StartNew();
            var random = new Random(6);
            List<double> committed = [];
            List<double> seen = [];
            List<double> toPoll = [];
            List<double> pollToCommit = [];
            foreach (var elevator in elevators)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 + random.Next(1000)), cancellationToken); // a random moment of the 1 s poll cycle
                var injected = DateTimeOffset.UtcNow;
                var started = Stopwatch.GetTimestamp();
                elevator.Inject(Fault, community.Clock.Now);
                long? createdAt = null;
                await WaitAsync(async () =>
                {
                    createdAt = await ScalarAsync(database, "SELECT created_at FROM work_orders WHERE device = @device AND rule_id = @Rule", new { device = elevator.Id, Rule }, cancellationToken);
                    return createdAt is not null;
                }, TimeSpan.FromSeconds(30), $"a work order for {elevator.Id}", cancellationToken, TimeSpan.FromMilliseconds(5));
                seen.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                committed.Add(createdAt!.Value - injected.ToUnixTimeMilliseconds());
                var sampled = await ScalarAsync(database, "SELECT ts FROM latest_values WHERE device = @device AND point = 'fault_code'", new { device = elevator.Id }, cancellationToken);
                toPoll.Add(sampled!.Value - injected.ToUnixTimeMilliseconds());
                pollToCommit.Add(createdAt.Value - sampled.Value);
                elevator.Clear(Fault, community.Clock.Now);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {elevator.Id}: polled after {toPoll[^1]:0} ms, committed after {committed[^1]:0} ms, seen after {seen[^1]:0} ms"));
            }

            var rate = (cloud.Ingest.Accepted - accepted0) / clock.Elapsed.TotalSeconds;
            var load = File.Exists("/proc/loadavg") ? string.Join(' ', (await File.ReadAllTextAsync("/proc/loadavg", cancellationToken)).Split(' ').Take(3)) : "unknown";
            var pollInterval = site.Devices.First(d => d.Profile.Kind == "elevator").Interval.TotalMilliseconds;
            return new FaultToOrderResult(storage, total, community.Devices.Count(d => d.Kind == "elevator"), pollInterval, committed, seen, toPoll, pollToCommit, cloud.Ingest.Accepted - accepted0, rate, load);
        }
        finally
        {
            try
            {
                await runtime.DisposeAsync();
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException error)
            {
                // The figures are taken; a publish timing out while the gateway stops on a loaded machine does not change them.
                log.WriteLine($"   the gateway's stop: {error.Message}");
            }
        }
    }

    /// <summary>The shipped sample estate, with its TCP buses on free ports and its serial lines in <paramref name="directory"/>, so it never meets a running demo.</summary>
    private static CommunityFile Community(string directory)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "firmware-sim", "Facilities.FirmwareSim", "communities", "sample-estate.json")))!;
        foreach (var bus in json["buses"]!.AsArray())
        {
            if (bus!["type"]!.GetValue<string>() == "serial")
            {
                bus["link"] = Path.Combine(directory, bus["id"]!.GetValue<string>());
            }
            else
            {
                bus["port"] = 0;
            }
        }

        return CommunityLoader.Parse(json.ToJsonString(), "sample-estate.json (benchmark copy)");
    }

    /// <summary>The shipped gateway site file for the sample estate, pointed at where this run's simulator listens.</summary>
    private static LoadedSite Site(CommunityHost community, string directory)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "gateway", "Facilities.Gateway", "sites", "sample-estate.json")))!;
        foreach (var bus in json["buses"]!.AsArray())
        {
            var running = community.Buses.Single(b => b.Id == bus!["id"]!.GetValue<string>());
            if (running.Type == "serial")
            {
                bus!["device"] = running.Endpoint;
            }
            else
            {
                var endpoint = running.Endpoint.Split(':');
                bus!["host"] = endpoint[0];
                bus["port"] = int.Parse(endpoint[1], CultureInfo.InvariantCulture);
            }
        }

        var path = Path.Combine(directory, "site.json");
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return SiteLoader.Load(path, Path.Combine(AppContext.BaseDirectory, "profiles"));
    }

    private static async Task<long?> ScalarAsync(CloudDatabase database, string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan limit, string what, CancellationToken cancellationToken, TimeSpan? poll = null)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Facilities.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Facilities.sln not found above " + AppContext.BaseDirectory);
    }
}

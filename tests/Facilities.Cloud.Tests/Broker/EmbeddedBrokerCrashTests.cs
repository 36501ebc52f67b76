using System.Globalization;
using System.Text.Json;
using Dapper;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Tests.EndToEnd;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Simulation;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>
/// The single-box composition as processes: the cloud with its embedded broker and SQLite, the real gateway polling a
/// simulated estate. The cloud is killed with SIGKILL while its ingestion is stuck and restarted on the same data.
/// </summary>
public sealed class EmbeddedBrokerCrashTests : IDisposable
{
    private const string Site = "estate-k";
    private const string Gateway = "gw-k";
    private const string GatewayUser = $"{Site}/{Gateway}";
    private const string GatewayPassword = "gateway-password";

    private readonly string _directory = Directory.CreateTempSubdirectory("cloud-crash-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DatabaseFile => Path.Combine(_directory, "cloud", "facilities-cloud.db");

    [Fact]
    public async Task CloudKilledWhileIngestionIsStuck_Restarted_GatewaySequenceHasNoGaps()
    {
        var community = new CommunityFile
        {
            Speed = 120,
            Sites = [new SiteEntry { Id = "s", Buildings = [new BuildingEntry { Id = "b" }] }],
            Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
            Devices = [new DeviceEntry { Id = "lift", Kind = "elevator", Site = "s", Building = "b", Bus = "tcp", Unit = 1, Count = 6 }],
        };
        await using var simulator = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct);
        var site = WriteGatewaySite(simulator.Buses[0].Endpoint);
        var brokerPort = FreePort.Next();
        var webPort = FreePort.Next();
        var database = CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={DatabaseFile}" });

        var cloud = await StartCloudAsync(brokerPort, webPort);
        await using var gateway = StartGateway(site, brokerPort);
        var killedTail = "";
        string Output() => Report(gateway, cloud, killedTail);
        try
        {
            // A stream of telemetry flowing through the cloud's broker into its database.
            await WaitForAsync(async () => await HighestStoredAsync(database) >= 100, "100 messages stored before the kill", TimeSpan.FromSeconds(90), Output);

            // Ingestion stuck (the database locked by another writer) while the gateway goes on publishing; then the
            // cloud dies. Whatever its broker acknowledged meanwhile must not be lost with it.
            long highestBefore;
            await using (var locker = new SqliteConnection($"Data Source={DatabaseFile}"))
            {
                await locker.OpenAsync(Ct);
                using var hold = locker.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock
                highestBefore = await HighestStoredAsync(database);
                await Task.Delay(TimeSpan.FromSeconds(4), Ct); // the gateway's stream meets stuck ingestion
                await cloud.KillAsync(); // SIGKILL
            }

            killedTail = cloud.Tail();
            await cloud.DisposeAsync();
            cloud = await StartCloudAsync(brokerPort, webPort);

            // The gateway goes on: its sequence must pass well beyond where it stood, and every number up to there arrive.
            var target = 0L;
            await WaitForAsync(async () => (target = await HighestStoredAsync(database)) > highestBefore + 200, "the stream to resume after the restart", TimeSpan.FromSeconds(60), Output);
            var missing = new List<long>();
            await WaitForAsync(async () => (missing = await MissingAsync(database, target)).Count == 0, "every sequence number to be stored", TimeSpan.FromSeconds(30), Output, throwOnTimeout: false);
            Assert.True(missing.Count == 0, $"{missing.Count} of the gateway's first {target} messages are missing (stored before the kill up to {highestBefore}): {string.Join(",", missing.Take(20))}…\n{Output()}");
        }
        finally
        {
            await gateway.KillAsync();
            await cloud.DisposeAsync();
            await database.DisposeAsync();
            SqliteConnection.ClearAllPools();
        }
    }

    private static async Task<long> HighestStoredAsync(CloudDatabase database)
    {
        await using var connection = await database.OpenAsync(Ct);
        try
        {
            return await connection.ExecuteScalarAsync<long?>("SELECT MAX(last_seq) FROM seen_ranges WHERE site = @Site AND gateway = @Gateway", new { Site, Gateway }) ?? 0;
        }
        catch (SqliteException)
        {
            return 0; // not migrated yet
        }
    }

    /// <summary>The numbers 1..<paramref name="upTo"/> in no stored run (the table the gap report reads).</summary>
    private static async Task<List<long>> MissingAsync(CloudDatabase database, long upTo)
    {
        await using var connection = await database.OpenAsync(Ct);
        var runs = (await connection.QueryAsync<(long First, long Last)>(
            "SELECT first_seq, last_seq FROM seen_ranges WHERE site = @Site AND gateway = @Gateway ORDER BY first_seq", new { Site, Gateway })).ToList();
        var missing = new List<long>();
        var next = 1L;
        foreach (var (first, last) in runs.Append((upTo + 1, upTo + 1)))
        {
            for (var seq = next; seq < Math.Min(first, upTo + 1); seq++)
            {
                missing.Add(seq);
            }

            next = Math.Max(next, last + 1);
        }

        return missing;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan limit, Func<string> output, bool throwOnTimeout = true)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.False(throwOnTimeout, $"timed out after {limit.TotalSeconds} s waiting for {what}\n{output()}");
                return;
            }

            await Task.Delay(200, Ct);
        }
    }

    private string WriteGatewaySite(string endpoint)
    {
        var parts = endpoint.Split(':');
        var path = Path.Combine(_directory, "site.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            site = Site,
            gateway = Gateway,
            buses = new[] { new { id = "tcp", type = "tcp", host = parts[0], port = int.Parse(parts[1], CultureInfo.InvariantCulture) } },
            devices = new[] { new { id = "lift", bus = "tcp", unit = 1, count = 6, profile = "facilities-sim-elevator", pollInterval = "00:00:00.100" } },
        }));
        return path;
    }

    /// <summary>The cloud program with the embedded broker (as the single-box default) and SQLite under this test's folder.</summary>
    private Task<CloudProcess> StartCloudAsync(int brokerPort, int webPort) => CloudProcess.StartAsync("facilities-cloud", webPort, new Dictionary<string, string>
    {
        ["Storage:ConnectionString"] = $"Data Source={DatabaseFile}",
        ["Mqtt:Host"] = "",
        ["Broker:Port"] = brokerPort.ToString(CultureInfo.InvariantCulture),
        ["Broker:PersistenceDirectory"] = Path.Combine(_directory, "cloud", "broker"),
        ["Broker:Users:0:Username"] = GatewayUser,
        ["Broker:Users:0:Password"] = GatewayPassword,
        ["Broker:Users:0:Role"] = "gateway",
        ["Broker:Users:0:Site"] = Site,
        ["Broker:Users:0:Gateway"] = Gateway,
        ["Logging:LogLevel:Default"] = "Warning",
    }, Ct, workingDirectory: Path.Combine(_directory, "cloud"));

    /// <summary>
    /// The real gateway program, on this test host's runtime configuration and dependency list: next to an ASP.NET Core
    /// app its own list lacks Microsoft.Extensions.Hosting, which the shared framework provides here. Killed at the end.
    /// </summary>
    private ChildProcess StartGateway(string site, int brokerPort)
    {
        var here = AppContext.BaseDirectory;
        var directory = Directory.CreateDirectory(Path.Combine(_directory, "gateway")).FullName;
        return ChildProcess.Start("facilities-gateway", "dotnet",
        [
            "exec", "--runtimeconfig", Path.Combine(here, "Facilities.Cloud.Tests.runtimeconfig.json"),
            "--depsfile", Path.Combine(here, "Facilities.Cloud.Tests.deps.json"),
            Path.Combine(here, "facilities-gateway.dll"),
            "--site", site, "--data", directory,
            "--Mqtt:Host", "127.0.0.1", "--Mqtt:Port", brokerPort.ToString(CultureInfo.InvariantCulture),
            "--Mqtt:Username", GatewayUser, "--Mqtt:Password", GatewayPassword,
            "--Mqtt:MaxReconnectDelay", "00:00:00.500", "--Gateway:MetricsPort", "0",
        ], new ChildProcessOptions { WorkingDirectory = directory, StopGrace = TimeSpan.Zero });
    }

    /// <summary>What the gateway and the cloud (the killed one and the running one) printed last, for a failure message.</summary>
    private static string Report(ChildProcess gateway, CloudProcess cloud, string killedCloudTail) =>
        $"--- facilities-gateway ---\n{gateway.Tail()}\n--- facilities-cloud (killed) ---\n{killedCloudTail}\n--- facilities-cloud ---\n{cloud.Tail()}";

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

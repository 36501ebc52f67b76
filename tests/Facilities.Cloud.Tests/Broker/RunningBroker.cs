using Dapper;
using Facilities.Cloud.Broker;
using Facilities.Cloud.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using Facilities.Cloud.Access;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>An embedded broker on a free loopback port with a migrated SQLite database and a persistence folder of its own.</summary>
internal sealed class RunningBroker : IAsyncDisposable
{
    // Gateway B's password ("pw-b") is configured as a hash; the others in plain text.
    public static readonly BrokerUser GatewayA = new() { Username = "site-a/gw-a", Password = "pw-a", Role = BrokerRole.Gateway, Site = "site-a", Gateway = "gw-a" };

    public static readonly BrokerUser GatewayB = new()
    {
        Username = "site-b/gw-b", PasswordHash = PasswordHash.Create("pw-b", iterations: 101), Role = BrokerRole.Gateway, Site = "site-b", Gateway = "gw-b",
    };

    public static readonly BrokerUser Cloud = new() { Username = "cloud", Password = "pw-cloud", Role = BrokerRole.Cloud };

    private readonly string _directory;

    private RunningBroker(BrokerOptions options, CloudDatabase database, string directory)
    {
        Options = options;
        Database = database;
        _directory = directory;
        Broker = Create();
    }

    public BrokerOptions Options { get; }

    public CloudDatabase Database { get; }

    public EmbeddedBroker Broker { get; private set; }

    public int Port => Options.Port;

    public static async Task<RunningBroker> StartAsync(CancellationToken cancellationToken, Func<BrokerOptions, BrokerOptions>? configure = null)
    {
        var directory = Directory.CreateTempSubdirectory("broker-test-").FullName;
        var database = CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(directory, "cloud.db")}" });
        await Migrations.ApplyAsync(database, Schema.All, cancellationToken);
        var options = new BrokerOptions
        {
            Port = FreePort.Next(),
            PersistenceDirectory = Path.Combine(directory, "broker"),
            Users = [GatewayA, GatewayB, Cloud],
            DrainTimeout = TimeSpan.FromSeconds(2),
        };
        var broker = new RunningBroker(configure?.Invoke(options) ?? options, database, directory);
        await broker.Broker.StartAsync(cancellationToken);
        return broker;
    }

    /// <summary>Stops the broker (as the host does) and starts a new one with the same options and folder.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await Broker.StoppingAsync(cancellationToken);
        await Broker.StopAsync(cancellationToken);
        await Broker.DisposeAsync();
        Broker = Create();
        await Broker.StartAsync(cancellationToken);
    }

    public Task<IMqttClient> ConnectAsync(string username, string password, CancellationToken cancellationToken, string? clientId = null, Action<MqttClientOptionsBuilder>? configure = null) =>
        TestMqttClient.ConnectAsync(Port, username, password, cancellationToken, clientId, configure);

    public Task<MqttClientConnectResultCode> TryConnectAsync(string username, string password, CancellationToken cancellationToken, string? clientId = null) =>
        TestMqttClient.TryConnectAsync(Port, username, password, cancellationToken, clientId);

    /// <summary>The dead letters written so far (they are written in the background: <paramref name="expected"/> waits for that many).</summary>
    public async Task<IReadOnlyList<(string Topic, string Reason, byte[] Payload)>> DeadLettersAsync(int expected, CancellationToken cancellationToken)
    {
        async Task<List<(string Topic, string Reason, byte[] Payload)>> ReadAsync()
        {
            await using var connection = await Database.OpenAsync(cancellationToken);
            return (await connection.QueryAsync<(string Topic, string Reason, byte[] Payload)>(
                new CommandDefinition("SELECT topic, reason, payload FROM dead_letters ORDER BY id", cancellationToken: cancellationToken))).ToList();
        }

        await Eventually.HoldsWithinAsync(async () => (await ReadAsync()).Count >= expected, TimeSpan.FromSeconds(5), cancellationToken);
        return await ReadAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Database.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private EmbeddedBroker Create() => new(Options, Database, TimeProvider.System, NullLogger<EmbeddedBroker>.Instance);
}

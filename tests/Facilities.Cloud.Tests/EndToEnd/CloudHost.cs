using System.Net.Http.Headers;
using Dapper;
using Facilities.Cloud.Access;
using Facilities.Cloud.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>
/// The whole cloud (CloudApp) running in-process on a free port, with SQLite in a temporary folder, consuming an
/// external broker (<see cref="StartAsync"/>) or hosting its own (<see cref="StartWithEmbeddedBrokerAsync"/>); the one
/// way the test suites start the cloud in-process (<c>CloudProcess</c> runs it as a process of its own, for
/// SIGKILL and several instances). <see cref="Http"/>
/// carries an admin's API token (user <see cref="AdminName"/>, seeded through <c>Identity:SeedUsers</c>);
/// <see cref="Anonymous"/> carries nothing; <see cref="ClientForAsync"/> makes a user of any role with a token.
/// </summary>
public sealed class CloudHost : IAsyncDisposable
{
    public const string AdminName = "test-admin";
    public const string AdminPassword = "test-admin-password";

    private readonly WebApplication _app;
    private readonly string _directory;
    private readonly List<HttpClient> _clients = [];
    private bool _stopped;

    private CloudHost(WebApplication app, string directory, int port, int brokerPort, string connectionString)
    {
        _app = app;
        _directory = directory;
        Port = port;
        BrokerPort = brokerPort;
        ConnectionString = connectionString;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Anonymous = new HttpClient { BaseAddress = Http.BaseAddress };
    }

    public int Port { get; }

    /// <summary>The MQTT broker the cloud consumes: the external one it was given, or its embedded one.</summary>
    public int BrokerPort { get; }

    public string ConnectionString { get; }

    public HttpClient Http { get; }

    public HttpClient Anonymous { get; }

    public Uri BaseAddress => Http.BaseAddress!;

    public IServiceProvider Services => _app.Services;

    /// <param name="waitForConsumer">Return only once the consumer subscribed; off for tests of a broker that refuses it.</param>
    /// <param name="configure">More set-up of the host (a log recorder, for instance).</param>
    public static Task<CloudHost> StartAsync(
        int brokerPort, CancellationToken cancellationToken, IDictionary<string, string?>? settings = null, TimeProvider? clock = null,
        bool waitForConsumer = true, Action<WebApplicationBuilder>? configure = null) =>
        LaunchAsync(brokerPort, Directory.CreateTempSubdirectory("cloud-e2e-").FullName, new Dictionary<string, string?>(), cancellationToken, settings, clock, waitForConsumer, configure);

    /// <summary>Settings that send the cloud's telemetry history to <paramref name="influx"/>'s database <paramref name="database"/>, flushed every 200 ms.</summary>
    public static Dictionary<string, string?> InfluxSettings(InfluxServer influx, string database = "facilities")
    {
        ArgumentNullException.ThrowIfNull(influx);
        return new Dictionary<string, string?>
        {
            ["Influx:Url"] = influx.Url,
            ["Influx:Database"] = database,
            ["Influx:FlushInterval"] = "00:00:00.200",
        };
    }

    /// <summary>The cloud with no <c>Mqtt:Host</c>: it hosts the broker (on <see cref="BrokerPort"/>) and consumes from it.</summary>
    public static Task<CloudHost> StartWithEmbeddedBrokerAsync(CancellationToken cancellationToken, IDictionary<string, string?>? settings = null)
    {
        var directory = Directory.CreateTempSubdirectory("cloud-embedded-").FullName;
        var brokerPort = FreePort.Next();
        var embedded = new Dictionary<string, string?>
        {
            ["Mqtt:Host"] = "",
            ["Broker:Enabled"] = "true",
            ["Broker:Port"] = brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Broker:PersistenceDirectory"] = Path.Combine(directory, "broker"),
        };
        return LaunchAsync(brokerPort, directory, embedded, cancellationToken, settings);
    }

    private static async Task<CloudHost> LaunchAsync(
        int brokerPort, string directory, IDictionary<string, string?> brokerSettings, CancellationToken cancellationToken, IDictionary<string, string?>? settings = null,
        TimeProvider? clock = null, bool waitForConsumer = true, Action<WebApplicationBuilder>? configure = null)
    {
        var port = FreePort.Next();
        var connectionString = $"Data Source={Path.Combine(directory, "cloud.db")}";
        var configuration = new Dictionary<string, string?>
        {
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Storage:Provider"] = "sqlite",
            ["Storage:ConnectionString"] = connectionString,
            ["Mqtt:Host"] = "127.0.0.1",
            ["Mqtt:Port"] = brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mqtt:ClientId"] = $"cloud-test-{port}",
            ["Broker:Enabled"] = "false",
            ["Influx:Url"] = "",
            ["Rules:SweepInterval"] = "00:00:00.500",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Identity:SeedUsers:0:Name"] = AdminName,
            ["Identity:SeedUsers:0:Role"] = "admin",
            ["Identity:SeedUsers:0:Password"] = AdminPassword,
            ["Identity:PasswordIterations"] = "10000", // the minimum: tests sign in often on a busy machine
        };
        foreach (var (key, value) in brokerSettings.Concat(settings ?? new Dictionary<string, string?>()))
        {
            configuration[key] = value;
        }

        var app = CloudApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(configuration);
            if (clock is not null)
            {
                builder.Services.AddSingleton(clock);
            }

            configure?.Invoke(builder);
        });
        await app.StartAsync(cancellationToken);
        var host = new CloudHost(app, directory, port, brokerPort, connectionString);
        var token = await app.Services.GetRequiredService<UserStore>().IssueTokenAsync(AdminName, "tests", cancellationToken);
        host.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (waitForConsumer)
        {
            await app.Services.GetRequiredService<Facilities.Cloud.Ingestion.MqttIngestor>().Subscribed.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        }

        return host;
    }

    /// <summary>A new user of <paramref name="role"/> (password <c>{name}-password</c>) and a client carrying their API token.</summary>
    public async Task<HttpClient> ClientForAsync(string name, string role)
    {
        var users = Services.GetRequiredService<UserStore>();
        await users.AddAsync(name, role, $"{name}-password", TestContext.Current.CancellationToken);
        var token = await users.IssueTokenAsync(name, "tests", TestContext.Current.CancellationToken);
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _clients.Add(client);
        return client;
    }

    /// <summary>A scalar count from the cloud's own database.</summary>
    public async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await using var connection = await Services.GetRequiredService<CloudDatabase>().OpenAsync(TestContext.Current.CancellationToken);
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    /// <summary>Stops the cloud as a shutdown does; its services (the database) stay readable until disposal.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopped = true;
        await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Anonymous.Dispose();
        _clients.ForEach(c => c.Dispose());
        if (!_stopped)
        {
            await _app.StopAsync(CancellationToken.None);
        }

        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

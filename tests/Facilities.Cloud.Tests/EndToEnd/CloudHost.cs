using Dapper;
using Facilities.Cloud.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>The whole cloud (CloudApp) running in-process on a free port, with SQLite in a temporary folder.</summary>
public sealed class CloudHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CloudHost(WebApplication app, int port, string connectionString)
    {
        _app = app;
        Port = port;
        ConnectionString = connectionString;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public int Port { get; }

    public string ConnectionString { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<CloudHost> StartAsync(int brokerPort, CancellationToken cancellationToken, IDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        var port = FreePort.Next();
        var connectionString = $"Data Source={Path.Combine(Directory.CreateTempSubdirectory("cloud-e2e-").FullName, "cloud.db")}";
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
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
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
        });
        await app.StartAsync(cancellationToken);
        var host = new CloudHost(app, port, connectionString);
        await app.Services.GetRequiredService<Facilities.Cloud.Ingestion.MqttIngestor>().Subscribed.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        return host;
    }

    /// <summary>A scalar count from the cloud's own database.</summary>
    public async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await using var connection = await Services.GetRequiredService<CloudDatabase>().OpenAsync(TestContext.Current.CancellationToken);
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

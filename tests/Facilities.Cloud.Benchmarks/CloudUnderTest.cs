using System.Globalization;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Cloud.TelemetryStore;
using Facilities.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Benchmarks;

/// <summary>Where one cloud instance stores: its database and, optionally, an InfluxDB database; and its batch size (null: the default).</summary>
internal sealed record CloudStorage(string Provider, string ConnectionString, string? InfluxUrl, string? InfluxDatabase, int? BatchSize = null);

/// <summary>
/// The whole cloud (<see cref="CloudApp"/>) in this process with its production defaults, against an external broker
/// (Broker:Enabled=false): the configuration a deployment with Mosquitto runs. Only what the benchmark must pin is set:
/// where it stores, the broker, the client id whose persistent session holds the backlog, and quiet logs.
/// </summary>
internal sealed class CloudUnderTest : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CloudUnderTest(WebApplication app) => _app = app;

    public IServiceProvider Services => _app.Services;

    public IngestMetrics Ingest => _app.Services.GetRequiredService<IngestMetrics>();

    public MqttIngestor Ingestor => _app.Services.GetRequiredService<MqttIngestor>();

    public TelemetryStoreMetrics Store => _app.Services.GetRequiredService<TelemetryStoreMetrics>();

    /// <summary>Builds and starts the cloud; returns once it has subscribed (its session resumed), or throws.</summary>
    public static async Task<CloudUnderTest> StartAsync(
        int brokerPort, string clientId, CloudStorage storage, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreePort.Next()}"),
            ["Storage:Provider"] = storage.Provider,
            ["Storage:ConnectionString"] = storage.ConnectionString,
            ["Broker:Enabled"] = "false",
            ["Mqtt:Host"] = "127.0.0.1",
            ["Mqtt:Port"] = brokerPort.ToString(CultureInfo.InvariantCulture),
            ["Mqtt:ClientId"] = clientId,
            ["Influx:Url"] = storage.InfluxUrl ?? "",
            ["Influx:Database"] = storage.InfluxDatabase ?? "",
            ["Logging:LogLevel:Default"] = "Warning",

            // The ingest benchmark breaks the connection to the broker on purpose; the reconnect warnings would be noise.
            ["Logging:LogLevel:Facilities.Cloud.Ingestion.MqttIngestor"] = "Error",
        };
        if (storage.BatchSize is { } batchSize)
        {
            settings["Mqtt:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var app = CloudApp.Build([], builder => builder.Configuration.AddInMemoryCollection(settings));
        try
        {
            await app.StartAsync(cancellationToken);
            await app.Services.GetRequiredService<MqttIngestor>().Subscribed.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return new CloudUnderTest(app);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Alerts in the cloud's database, in any state; the rules and states of any are printed (a healthy stream should leave none).</summary>
    public async Task<long> CountAlertsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _app.Services.GetRequiredService<CloudDatabase>().OpenAsync(cancellationToken);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT rule_id, state, COUNT(*) FROM alerts GROUP BY rule_id, state ORDER BY rule_id, state";
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        long total = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            var count = Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture);
            total += count;
            Console.WriteLine($"  alert left by the stream: {reader.GetString(0)} ({reader.GetString(1)}) × {count}");
        }

        return total;
    }

    /// <summary>Stops like a shutdown: the MQTT session stays at the broker, history rows not yet in InfluxDB stay in the database.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

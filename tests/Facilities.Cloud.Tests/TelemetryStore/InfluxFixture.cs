using System.Globalization;
using System.Text.Json;
using Facilities.Cloud.TelemetryStore;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>One InfluxDB 1.6.7 for a test class; each test writes to a database of its own.</summary>
public sealed class InfluxFixture : IAsyncLifetime
{
    private InfluxServer? _server;
    private int _databases;

    public InfluxServer Server => _server ?? throw new InvalidOperationException("influxd did not start");

    public async ValueTask InitializeAsync() => _server = await InfluxServer.StartAsync(TestContext.Current.CancellationToken);

    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"test_{Interlocked.Increment(ref _databases)}");
        await Server.CreateDatabaseAsync(name, cancellationToken);
        return name;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>Drainer settings with short intervals for tests, and waiting for what InfluxDB shows.</summary>
internal static class InfluxTesting
{
    public static InfluxOptions V1(string url, string database) => new()
    {
        Url = url,
        Database = database,
        BatchSize = 500,
        FlushInterval = TimeSpan.FromMilliseconds(50),
        PollInterval = TimeSpan.FromMilliseconds(100),
        BacklogCheckInterval = TimeSpan.FromMilliseconds(100),
        MinRetryDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryDelay = TimeSpan.FromMilliseconds(400),
        RequestTimeout = TimeSpan.FromSeconds(5),
        ConnectTimeout = TimeSpan.FromSeconds(2),
        LeaseTime = TimeSpan.FromSeconds(30),
    };

    /// <summary>How long a test waits for the drainer to store what it was given.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static async Task<long> CountAsync(InfluxServer server, string database, string measurement, string field)
    {
        var rows = await server.RowsAsync(database, $"SELECT count(\"{field}\") FROM \"{measurement}\"", TestContext.Current.CancellationToken);
        return rows.Count == 0 ? 0 : rows[0][$"count"].GetInt64();
    }

    public static DateTimeOffset Time(IReadOnlyDictionary<string, JsonElement> row) =>
        DateTimeOffset.Parse(row["time"].GetString()!, CultureInfo.InvariantCulture);
}

using System.Globalization;
using Dapper;
using Facilities.Cloud.Broker;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>The whole cloud with no <c>Mqtt:Host</c>: it hosts the broker, and its consumer ingests a gateway's messages through it.</summary>
public sealed class CloudWithEmbeddedBrokerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cloud_WithoutMqttHost_IngestsAGatewaysTelemetryThroughItsOwnBroker()
    {
        await using var cloud = await EmbeddedCloud.StartAsync(Token);
        using var gateway = await cloud.ConnectGatewayAsync(Token);
        // The example of docs/mqtt-contract.md, as the gateway sends it, sampled a moment ago (ingestion refuses old samples).
        const string Example = """
            {
              "schema": 1, "seq": 48213, "ts": "SAMPLED",
              "device": "b03-elevator-2", "kind": "elevator", "building": "b03",
              "values": { "floor": 7, "speed": 1.75, "trips": 250312, "door_state": 0, "fault_code": 0 },
              "labels": { "door_state": "closed", "fault_code": "none" },
              "heartbeat": true
            }
            """;
        var telemetry = Example.Replace("SAMPLED", DateTimeOffset.UtcNow.AddSeconds(-2).ToString("O", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var result = await gateway.PublishStringAsync(Topics.Telemetry(Messages.Site, Messages.Gateway, "b03-elevator-2"), telemetry, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);

        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        var values = await cloud.WaitForAsync(async connection => (await connection.QueryAsync<(string Point, double Value, string? Label)>(
            "SELECT point, value, label FROM latest_values WHERE site = @Site AND device = 'b03-elevator-2' ORDER BY point", new { Site = Messages.Site })).ToList(), rows => rows.Count == 5);
        Assert.Equal([("door_state", 0, "closed"), ("fault_code", 0, "none"), ("floor", 7, null), ("speed", 1.75, null), ("trips", 250312, null)], values);
        var device = await cloud.WaitForAsync(connection => connection.QuerySingleAsync<(string Gateway, string Kind, string Building)>(
            "SELECT gateway, kind, building FROM devices WHERE site = @Site AND device = 'b03-elevator-2'", new { Site = Messages.Site }), _ => true);
        Assert.Equal((Messages.Gateway, "elevator", "b03"), device);
    }

    [Fact]
    public async Task Cloud_StoppingWithMessagesQueuedAtItsBroker_StoresThemAllFirst()
    {
        const int Count = 500;
        await using var cloud = await EmbeddedCloud.StartAsync(Token);
        using var gateway = await cloud.ConnectGatewayAsync(Token);
        var start = DateTimeOffset.UtcNow;
        for (var seq = 1; seq <= Count; seq++)
        {
            var message = Messages.Telemetry(seq, start.AddMilliseconds(seq), "boiler-1", "boiler", new Dictionary<string, double> { ["flow_temp"] = seq });
            var result = await gateway.PublishBinaryAsync(message.Topic, message.Payload.ToArray(), MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
            Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        }

        await cloud.StopAsync(Token);

        await using var connection = await cloud.Database.OpenAsync(Token);
        Assert.Equal(Count, await connection.ExecuteScalarAsync<long>("SELECT CAST(COALESCE(SUM(last_seq - first_seq + 1), 0) AS BIGINT) FROM seen_ranges WHERE gateway = @Gateway", new { Gateway = Messages.Gateway }));
    }

    [Fact]
    public async Task Gateway_PublishAcknowledged_MessageIsAlreadyStored()
    {
        // The moment each PUBACK arrives the message's transaction has committed: a crash right after it loses nothing.
        const int Count = 100;
        await using var cloud = await EmbeddedCloud.StartAsync(Token);
        using var gateway = await cloud.ConnectGatewayAsync(Token);
        await using var connection = await cloud.Database.OpenAsync(Token);
        var start = DateTimeOffset.UtcNow;
        var unstored = new List<int>();
        for (var seq = 1; seq <= Count; seq++)
        {
            var message = Messages.Telemetry(seq, start.AddMilliseconds(seq), "boiler-1", "boiler", new Dictionary<string, double> { ["flow_temp"] = seq });
            var result = await gateway.PublishBinaryAsync(message.Topic, message.Payload.ToArray(), MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
            Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
            var stored = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM seen_ranges WHERE gateway = @Gateway AND first_seq <= @Seq AND last_seq >= @Seq", new { Gateway = Messages.Gateway, Seq = seq });
            if (stored == 0)
            {
                unstored.Add(seq);
            }
        }

        Assert.True(unstored.Count == 0, $"{unstored.Count} of {Count} messages were acknowledged before they were stored: {string.Join(",", unstored.Take(20))}");
    }

    /// <summary>CloudApp with SQLite in a temporary folder, its embedded broker on a free port and one gateway credential.</summary>
    private sealed class EmbeddedCloud : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly string _directory;
        private bool _stopped;

        private EmbeddedCloud(WebApplication app, string directory, int brokerPort)
        {
            _app = app;
            _directory = directory;
            BrokerPort = brokerPort;
            Database = CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(directory, "cloud.db")}" });
        }

        public int BrokerPort { get; }

        public CloudDatabase Database { get; }

        public static async Task<EmbeddedCloud> StartAsync(CancellationToken cancellationToken)
        {
            var directory = Directory.CreateTempSubdirectory("cloud-embedded-").FullName;
            var brokerPort = FreePort.Next();
            var settings = new Dictionary<string, string?>
            {
                ["Urls"] = $"http://127.0.0.1:{FreePort.Next()}",
                ["Storage:ConnectionString"] = $"Data Source={Path.Combine(directory, "cloud.db")}",
                ["Mqtt:Host"] = "",
                ["Broker:Port"] = brokerPort.ToString(CultureInfo.InvariantCulture),
                ["Broker:PersistenceDirectory"] = Path.Combine(directory, "broker"),
                ["Broker:Users:0:Username"] = $"{Messages.Site}/{Messages.Gateway}",
                ["Broker:Users:0:Password"] = "gateway-password",
                ["Broker:Users:0:Role"] = "gateway",
                ["Broker:Users:0:Site"] = Messages.Site,
                ["Broker:Users:0:Gateway"] = Messages.Gateway,
                ["Logging:LogLevel:Default"] = "Warning",
            };
            var app = CloudApp.Build([], builder => builder.Configuration.AddInMemoryCollection(settings));
            var cloud = new EmbeddedCloud(app, directory, brokerPort);
            await app.StartAsync(cancellationToken);
            await app.Services.GetRequiredService<MqttIngestor>().Subscribed.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
            Assert.True(app.Services.GetRequiredService<EmbeddedBroker>().IsRunning);
            return cloud;
        }

        public Task<IMqttClient> ConnectGatewayAsync(CancellationToken cancellationToken) =>
            TestMqttClient.ConnectAsync(BrokerPort, $"{Messages.Site}/{Messages.Gateway}", "gateway-password", cancellationToken, $"facilities-gateway-{Messages.Site}-{Messages.Gateway}");

        /// <summary>Polls the database until <paramref name="done"/> holds (ingestion is asynchronous), for 10 s at most.</summary>
        public async Task<T> WaitForAsync<T>(Func<System.Data.Common.DbConnection, Task<T>> query, Func<T, bool> done)
        {
            for (var attempt = 0; ; attempt++)
            {
                await using var connection = await Database.OpenAsync(Token);
                try
                {
                    var value = await query(connection);
                    if (done(value) || attempt == 200)
                    {
                        return value;
                    }
                }
                catch (InvalidOperationException) when (attempt < 200)
                {
                    // QuerySingle before the row exists.
                }

                await Task.Delay(50, Token);
            }
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            _stopped = true;
            await _app.StopAsync(cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stopped)
            {
                await _app.StopAsync(CancellationToken.None);
            }

            await _app.DisposeAsync();
            await Database.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }
}

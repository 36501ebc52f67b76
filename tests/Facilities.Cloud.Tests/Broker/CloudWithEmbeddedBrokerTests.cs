using Dapper;
using Facilities.Cloud.Broker;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Tests.EndToEnd;
using Facilities.Telemetry;
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
        await using var cloud = await StartCloudAsync();
        using var gateway = await ConnectGatewayAsync(cloud);
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
        var values = await WaitForAsync(cloud, async connection => (await connection.QueryAsync<(string Point, double Value, string? Label)>(
            "SELECT point, value, label FROM latest_values WHERE site = @Site AND device = 'b03-elevator-2' ORDER BY point", new { Site = Messages.Site })).ToList(), rows => rows.Count == 5);
        Assert.Equal([("door_state", 0, "closed"), ("fault_code", 0, "none"), ("floor", 7, null), ("speed", 1.75, null), ("trips", 250312, null)], values);
        var device = await WaitForAsync(cloud, connection => connection.QuerySingleAsync<(string Gateway, string Kind, string Building)>(
            "SELECT gateway, kind, building FROM devices WHERE site = @Site AND device = 'b03-elevator-2'", new { Site = Messages.Site }), _ => true);
        Assert.Equal((Messages.Gateway, "elevator", "b03"), device);
    }

    [Fact]
    public async Task Cloud_StoppingWithMessagesQueuedAtItsBroker_StoresThemAllFirst()
    {
        const int Count = 500;
        await using var cloud = await StartCloudAsync();
        using var gateway = await ConnectGatewayAsync(cloud);
        var start = DateTimeOffset.UtcNow;
        for (var seq = 1; seq <= Count; seq++)
        {
            var message = Messages.Telemetry(seq, start.AddMilliseconds(seq), "boiler-1", "boiler", new Dictionary<string, double> { ["flow_temp"] = seq });
            var result = await gateway.PublishBinaryAsync(message.Topic, message.Payload.ToArray(), MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
            Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        }

        await cloud.StopAsync(Token);

        await using var connection = await cloud.Services.GetRequiredService<CloudDatabase>().OpenAsync(Token);
        Assert.Equal(Count, await connection.ExecuteScalarAsync<long>("SELECT CAST(COALESCE(SUM(last_seq - first_seq + 1), 0) AS BIGINT) FROM seen_ranges WHERE gateway = @Gateway", new { Gateway = Messages.Gateway }));
    }

    [Fact]
    public async Task Gateway_PublishAcknowledged_MessageIsAlreadyStored()
    {
        // The moment each PUBACK arrives the message's transaction has committed: a crash right after it loses nothing.
        const int Count = 100;
        await using var cloud = await StartCloudAsync();
        using var gateway = await ConnectGatewayAsync(cloud);
        await using var connection = await cloud.Services.GetRequiredService<CloudDatabase>().OpenAsync(Token);
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

    /// <summary>The cloud hosting its broker, with one gateway credential.</summary>
    private static async Task<CloudHost> StartCloudAsync()
    {
        var cloud = await CloudHost.StartWithEmbeddedBrokerAsync(Token, new Dictionary<string, string?>
        {
            ["Broker:Users:0:Username"] = $"{Messages.Site}/{Messages.Gateway}",
            ["Broker:Users:0:Password"] = "gateway-password",
            ["Broker:Users:0:Role"] = "gateway",
            ["Broker:Users:0:Site"] = Messages.Site,
            ["Broker:Users:0:Gateway"] = Messages.Gateway,
        });
        Assert.True(cloud.Services.GetRequiredService<EmbeddedBroker>().IsRunning);
        return cloud;
    }

    private static Task<IMqttClient> ConnectGatewayAsync(CloudHost cloud) =>
        TestMqttClient.ConnectAsync(cloud.BrokerPort, $"{Messages.Site}/{Messages.Gateway}", "gateway-password", Token, $"facilities-gateway-{Messages.Site}-{Messages.Gateway}");

    /// <summary>Polls the cloud's database until <paramref name="done"/> holds (ingestion is asynchronous), for 10 s at most.</summary>
    private static async Task<T> WaitForAsync<T>(CloudHost cloud, Func<System.Data.Common.DbConnection, Task<T>> query, Func<T, bool> done)
    {
        async Task<T> QueryAsync()
        {
            await using var connection = await cloud.Services.GetRequiredService<CloudDatabase>().OpenAsync(Token);
            return await query(connection);
        }

        await Eventually.HoldsWithinAsync(
            async () =>
            {
                try
                {
                    return done(await QueryAsync());
                }
                catch (InvalidOperationException)
                {
                    return false; // QuerySingle before the row exists.
                }
            },
            TimeSpan.FromSeconds(10), Token);
        return await QueryAsync();
    }
}

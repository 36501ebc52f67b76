using System.Globalization;
using Facilities.Cloud.Tests.Broker;
using Facilities.Cloud.Tests.EndToEnd;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>The embedded broker's refusals reach the cloud's <c>/metrics</c>, so an attack shows on the dashboards.</summary>
public sealed class BrokerMetricsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_WithTheEmbeddedBroker_CountRefusalsByReason()
    {
        var brokerPort = FreePort.Next();
        var directory = Directory.CreateTempSubdirectory("broker-metrics-").FullName;
        await using var cloud = await CloudHost.StartAsync(brokerPort, Token, new Dictionary<string, string?>
        {
            ["Mqtt:Host"] = "",
            ["Broker:Enabled"] = "true",
            ["Broker:Port"] = brokerPort.ToString(CultureInfo.InvariantCulture),
            ["Broker:PersistenceDirectory"] = Path.Combine(directory, "broker"),
            ["Broker:Users:0:Username"] = "site-a/gw-a",
            ["Broker:Users:0:Password"] = "pw-a",
            ["Broker:Users:0:Role"] = "gateway",
            ["Broker:Users:0:Site"] = "site-a",
            ["Broker:Users:0:Gateway"] = "gw-a",
        });

        Assert.NotEqual(MQTTnet.MqttClientConnectResultCode.Success, await TestMqttClient.TryConnectAsync(brokerPort, "site-a/gw-a", "wrong", Token));
        Assert.NotEqual(MQTTnet.MqttClientConnectResultCode.Success, await TestMqttClient.TryConnectAsync(brokerPort, "site-a/gw-a", "pw-a", Token, "not-its-id"));
        using (var socket = await RawMqttSocket.ConnectAsync(brokerPort, Token))
        {
            await socket.SendAsync([.. RawMqttSocket.FixedHeader(0x10, 268_435_455)], Token);
            await socket.WaitUntilClosedAsync(TimeSpan.FromSeconds(15), Token);
        }

        var metrics = await cloud.Http.GetStringAsync("/metrics", Token);

        Assert.Contains("facilities_cloud_broker_connections_refused_total{reason=\"bad_credentials\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("facilities_cloud_broker_connections_refused_total{reason=\"client_id\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("facilities_cloud_broker_packets_too_large_total 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("facilities_cloud_broker_publishes_refused_total{reason=\"retained_limit\"} 0\n", metrics, StringComparison.Ordinal);
    }
}

using MQTTnet;
using MQTTnet.Formatter;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>MQTT 5 clients for the broker tests, on 127.0.0.1.</summary>
internal static class TestMqttClient
{
    /// <summary>A connected client; fails the test if the broker refuses it.</summary>
    public static async Task<IMqttClient> ConnectAsync(
        int port, string username, string password, CancellationToken cancellationToken, string? clientId = null, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(Options(port, username, password, clientId, configure), cancellationToken);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return client;
    }

    /// <summary>The broker's answer to a connection attempt (MQTTnet 5 returns a refusal instead of throwing).</summary>
    public static async Task<MqttClientConnectResultCode> TryConnectAsync(int port, string username, string password, CancellationToken cancellationToken, string? clientId = null)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(Options(port, username, password, clientId, null), cancellationToken);
        return result.ResultCode;
    }

    /// <summary>A gateway credential (<c>{site}/{gateway}</c>) connects with its user name, as gateways do; others with a fresh id.</summary>
    public static string DefaultClientId(string username) => username.Contains('/', StringComparison.Ordinal) ? username : $"test-{Guid.NewGuid():N}";

    private static MqttClientOptions Options(int port, string username, string password, string? clientId, Action<MqttClientOptionsBuilder>? configure)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId ?? DefaultClientId(username))
            .WithTimeout(TimeSpan.FromSeconds(5));
        if (username.Length > 0)
        {
            builder.WithCredentials(username, password);
        }

        configure?.Invoke(builder);
        return builder.Build();
    }
}

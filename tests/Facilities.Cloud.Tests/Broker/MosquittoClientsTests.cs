using System.Globalization;
using Facilities.Telemetry;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>Interop: Debian's mosquitto_pub and mosquitto_sub (libmosquitto) talk to the embedded broker with credentials.</summary>
public sealed class MosquittoClientsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task MosquittoSub_AsCloud_ReceivesTheRetainedStatusMosquittoPubSentAsGateway(string protocol)
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        var topic = Topics.GatewayStatus("site-b", "gw-b");

        var published = await RunAsync("mosquitto_pub", Connection(broker, "site-b/gw-b", "pw-b", protocol, "-t", topic, "-m", "{\"state\":\"online\"}", "-q", "1", "-r"));
        var received = await RunAsync("mosquitto_sub", Connection(broker, "cloud", "pw-cloud", protocol, "-t", Topics.AllFilter, "-q", "1", "-v", "-C", "1", "-W", "10"));

        Assert.Equal(0, published.ExitCode);
        Assert.Equal(0, received.ExitCode);
        Assert.Equal($"{topic} {{\"state\":\"online\"}}", received.Output.Trim());
    }

    [Fact]
    public async Task MosquittoPub_WithAWrongPassword_IsRefused()
    {
        await using var broker = await RunningBroker.StartAsync(Token);

        var result = await RunAsync("mosquitto_pub", Connection(broker, "site-a/gw-a", "wrong", "mqttv5", "-t", Topics.GatewayStatus("site-a", "gw-a"), "-m", "x", "-q", "1"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("bad user name or password", result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, broker.Broker.RefusedConnections);
    }

    [Fact]
    public async Task MosquittoPub_ToAnotherGatewaysTopic_IsRefusedAndDeadLettered()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        var foreign = Topics.Telemetry("site-b", "gw-b", "boiler-1");

        var result = await RunAsync("mosquitto_pub", Connection(broker, "site-a/gw-a", "pw-a", "mqttv5", "-t", foreign, "-m", "{}", "-q", "1"));

        Assert.Contains("not authori", result.Error, StringComparison.OrdinalIgnoreCase);
        var letter = Assert.Single(await broker.DeadLettersAsync(expected: 1, Token));
        Assert.Equal(foreign, letter.Topic);
    }

    /// <summary>MQTT 5 clients get their id from the broker; MQTT 3.1.1 ones must send one (MQTTnet refuses an empty id there).</summary>
    private static string[] Connection(RunningBroker broker, string username, string password, string protocol, params string[] more) =>
    [
        "-h", "127.0.0.1", "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "-u", username, "-P", password, "-V", protocol,
        .. protocol == "mqttv311" ? ["-i", TestMqttClient.DefaultClientId(username)] : Array.Empty<string>(), .. more,
    ];

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string tool, string[] arguments)
    {
        var path = $"/usr/bin/{tool}";
        Assert.True(File.Exists(path), $"{path} not found: apt-get install mosquitto-clients");
        var run = await ChildProcess.RunAsync(path, arguments, TimeSpan.FromSeconds(20), Token);
        return (run.ExitCode, run.Stdout, run.Stderr);
    }
}

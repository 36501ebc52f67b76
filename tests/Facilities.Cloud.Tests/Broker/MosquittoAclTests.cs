using System.Text.RegularExpressions;
using Facilities.Telemetry;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>
/// The Mosquitto password file and ACL that docs/cloud-broker.md gives for an external broker, read from the document
/// and run in a real Mosquitto: it grants what the embedded broker grants.
/// </summary>
public sealed partial class MosquittoAclTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DocumentedAcl_LetsGatewaysPublishOnlyTheirOwnTopicsAndTheCloudReadEverything()
    {
        var folder = Directory.CreateTempSubdirectory("mosquitto-acl-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "facilities.acl"), DocumentedAcl(), Token);
        await AddPasswordAsync(folder, "facilities-cloud", "pw-cloud", create: true);
        await AddPasswordAsync(folder, "site-a/gw-a", "pw-a", create: false);
        await using var mosquitto = await MosquittoBroker.StartAsync(Token,
            $"password_file {folder}/facilities.passwd\nacl_file {folder}/facilities.acl\nper_listener_settings false");
        using var cloud = await TestMqttClient.ConnectAsync(mosquitto.Port, "facilities-cloud", "pw-cloud", Token);
        var cloudInbox = await Inbox.SubscribeAsync(cloud, $"$share/facilities-cloud/{Topics.AllFilter}", Token);
        using var gateway = await TestMqttClient.ConnectAsync(mosquitto.Port, "site-a/gw-a", "pw-a", Token);
        var gatewayInbox = await Inbox.SubscribeAsync(gateway, Topics.Commands("site-a", "gw-a"), Token);

        var own = await gateway.PublishStringAsync(Topics.Telemetry("site-a", "gw-a", "lift-1"), "own", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
        var foreign = await gateway.PublishStringAsync(Topics.Telemetry("site-b", "gw-a", "lift-1"), "foreign", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
        var command = await gateway.PublishStringAsync(Topics.Commands("site-a", "gw-a"), "self", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);
        await cloud.PublishStringAsync(Topics.Commands("site-a", "gw-a"), "from-cloud", MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Token);

        Assert.True(own.IsSuccess);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, foreign.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, command.ReasonCode);
        Assert.Equal(Topics.Telemetry("site-a", "gw-a", "lift-1"), (await cloudInbox.NextAsync(Token)).Topic);
        Assert.Equal("from-cloud", (await gatewayInbox.NextAsync(Token)).ConvertPayloadToString());
        Directory.Delete(folder, recursive: true);
    }

    private static string DocumentedAcl()
    {
        var document = FindUp("docs/cloud-broker.md");
        var block = AclBlock().Match(File.ReadAllText(document));
        Assert.True(block.Success, $"{document}: no ``` block after `/etc/mosquitto/facilities.acl`");
        return block.Groups["acl"].Value;
    }

    private static string FindUp(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    private static async Task AddPasswordAsync(string folder, string username, string password, bool create)
    {
        string[] arguments = [.. create ? ["-c"] : Array.Empty<string>(), "-b", Path.Combine(folder, "facilities.passwd"), username, password];
        var run = await ChildProcess.RunAsync("/usr/bin/mosquitto_passwd", arguments, TimeSpan.FromSeconds(30), Token);
        Assert.Equal(0, run.ExitCode);
    }

    [GeneratedRegex(@"`/etc/mosquitto/facilities\.acl`.*?```\n(?<acl>.*?)```", RegexOptions.Singleline)]
    private static partial Regex AclBlock();
}

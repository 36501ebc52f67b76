using System.Collections.Concurrent;
using Dapper;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>
/// A session the cloud no longer consumes through (an instance's own session from before consumer slots) holds a share
/// of the shared subscription: named in Mqtt:RetiredSessions, the cloud drains it and ends it on the broker.
/// </summary>
public sealed class RetiredSessionsTests
{
    private const string OldSession = "facilities-cloud-a";

    private readonly ConcurrentQueue<string> _log = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RetiredSession_HoldingQueuedMessages_IsDrainedIntoTheCloudAndEndedSoNothingMoreStrandsInIt()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct, "max_queued_messages 0");

        // The old instance's session: in the shared group, away, so the broker queues its share in it.
        using (var old = new MqttClientFactory().CreateMqttClient())
        {
            await old.ConnectAsync(Options(broker.Port, OldSession).WithCleanStart(false).WithSessionExpiryInterval(3600).Build(), Ct);
            await old.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter($"$share/facilities-cloud/facilities/v1/+/+/devices/+/telemetry", MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
            await old.DisconnectAsync(cancellationToken: Ct);
        }

        using var gateway = new MqttClientFactory().CreateMqttClient();
        await gateway.ConnectAsync(Options(broker.Port, $"{Messages.Site}/{Messages.Gateway}").Build(), Ct);
        await PublishAsync(gateway, 1, 20); // all 20 wait in the old session: it is the group's only member

        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?>
        {
            ["Mqtt:ConsumerSlots"] = "2",
            ["Mqtt:RetiredSessions:0"] = OldSession,
            [$"Logging:LogLevel:{typeof(Facilities.Cloud.Ingestion.MqttIngestor).FullName}"] = "Information",
        }, configure: builder => builder.Logging.AddProvider(new RecordingLoggerProvider(_log)));
        await Eventually.HoldsAsync(async () => await HandledAsync(cloud) == 20, "the 20 messages queued in the retired session handled", TimeSpan.FromSeconds(30), Ct, TimeSpan.FromMilliseconds(200));

        // Ended on the broker, and nothing more is routed to it: every later message reaches the cloud's slots.
        await Eventually.HoldsAsync(() => Task.FromResult(_log.Any(l => l.StartsWith($"Retired session {OldSession} drained (20 message(s) handled) and ended", StringComparison.Ordinal))),
            "the retired session drained and ended", TimeSpan.FromSeconds(30), Ct, TimeSpan.FromMilliseconds(200));
        Assert.False(await SessionPresentAsync(broker.Port));
        await PublishAsync(gateway, 21, 60);
        await Eventually.HoldsAsync(async () => await HandledAsync(cloud) == 60, "every later message handled", TimeSpan.FromSeconds(30), Ct, TimeSpan.FromMilliseconds(200));
    }

    private static MqttClientOptionsBuilder Options(int port, string clientId) =>
        new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId(clientId);

    private static async Task PublishAsync(IMqttClient gateway, long first, long last)
    {
        for (var seq = first; seq <= last; seq++)
        {
            var message = Messages.Telemetry(seq, DateTimeOffset.UtcNow, "boiler-1", "boiler", new Dictionary<string, double> { ["flow_temp"] = seq });
            await gateway.PublishBinaryAsync(message.Topic, message.Payload.ToArray(), MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Ct);
        }
    }

    /// <summary>
    /// Whether the broker still has the session: asked with clean start off, leaving at once with expiry 0 so that asking
    /// leaves no session behind (it would take over one that still existed, so ask only once the cloud says it is done).
    /// </summary>
    private static async Task<bool> SessionPresentAsync(int port)
    {
        using var probe = new MqttClientFactory().CreateMqttClient();
        var result = await probe.ConnectAsync(Options(port, OldSession).WithCleanStart(false).WithSessionExpiryInterval(0).Build(), Ct);
        await probe.DisconnectAsync(cancellationToken: Ct);
        return result.IsSessionPresent;
    }

    private static async Task<long> HandledAsync(CloudHost cloud)
    {
        await using var connection = await cloud.Services.GetRequiredService<CloudDatabase>().OpenAsync(Ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT SUM(last_seq - first_seq + 1) FROM seen_ranges WHERE site = @site", new { site = Messages.Site }, cancellationToken: Ct)) ?? 0;
    }
}

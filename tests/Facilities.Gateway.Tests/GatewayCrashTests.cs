using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Simulation;
using Facilities.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;

namespace Facilities.Gateway.Tests;

/// <summary>The gateway process is killed with SIGKILL while the broker is down; restarted, it delivers everything it had stored.</summary>
public sealed class GatewayCrashTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-crash-").FullName;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KilledWhileTheBrokerIsDown_RestartedGatewayReplaysTheOutbox_NoSequenceNumberMissing()
    {
        var community = new CommunityFile
        {
            Speed = 120,
            Sites = [new SiteEntry { Id = "s", Buildings = [new BuildingEntry { Id = "b" }] }],
            Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
            Devices = [new DeviceEntry { Id = "lift", Kind = "elevator", Site = "s", Building = "b", Bus = "tcp", Unit = 1, Count = 3 }],
        };
        await using var simulator = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct);
        var endpoint = simulator.Buses[0].Endpoint.Split(':');
        var site = Path.Combine(_directory, "site.json");
        await File.WriteAllTextAsync(site, JsonSerializer.Serialize(new
        {
            site = "estate-k",
            gateway = "gw-k",
            buses = new[] { new { id = "tcp", type = "tcp", host = endpoint[0], port = int.Parse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture) } },
            devices = new[] { new { id = "lift", bus = "tcp", unit = 1, count = 3, profile = "facilities-sim-elevator", pollInterval = "00:00:00.200" } },
        }), Ct);

        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await broker.StopAsync();

        // First life: no broker, readings pile up in the outbox; then SIGKILL, no chance to tidy up.
        await using (var first = StartGateway(site, broker.Port))
        {
            // Kill it once readings are on disk (start-up takes a while on a loaded machine), in the middle of writing.
            var outbox = Path.Combine(_directory, "data", "outbox");
            await Eventually.HoldsWithinAsync(
                () => first.HasExited || (Directory.Exists(outbox) && Directory.GetFiles(outbox, "segment-*.log").Sum(f => new FileInfo(f).Length) > 8192),
                TimeSpan.FromSeconds(60), Ct, Poll);
            await Task.Delay(TimeSpan.FromSeconds(1), Ct);
            await first.KillAsync();
        }

        var storedMax = Directory.GetFiles(Path.Combine(_directory, "data", "outbox"), "segment-*.log")
            .SelectMany(Facilities.Gateway.Outbox.OutboxRecord.ReadAll).Select(m => m.Seq).DefaultIfEmpty(0).Max();
        Assert.True(storedMax > 10, $"the first life wrote only {storedMax} messages to the outbox");

        await broker.RestartAsync(Ct);
        var received = new ConcurrentDictionary<long, string>();
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            var seq = JsonDocument.Parse(e.ApplicationMessage.Payload).RootElement.GetProperty("seq").GetInt64();
            received.TryAdd(seq, e.ApplicationMessage.Topic);
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).Build(), Ct);
        await subscriber.SubscribeAsync(Topics.AllFilter, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, Ct);

        // Second life: the stored backlog goes out, then live readings continue the same sequence.
        await using var second = StartGateway(site, broker.Port);
        try
        {
            // First the live sequence must go past the stored backlog. Then every number up to the highest seen at
            // that moment must arrive: the gateway sends a live event before queued telemetry, so numbers arrive out
            // of order and the test waits for the whole range, not for the first live message.
            var patience = TimeSpan.FromSeconds(30);
            var waited = Stopwatch.StartNew();
            await Eventually.HoldsWithinAsync(() => received.Keys.Any(k => k > storedMax), patience, Ct, Poll);

            var target = received.Keys.DefaultIfEmpty(0).Max();
            Assert.True(target > storedMax, $"no live message after the stored backlog (highest {target}, stored {storedMax})");
            List<int> Missing() => Enumerable.Range(1, (int)target).Where(i => !received.ContainsKey(i)).ToList();
            await Eventually.HoldsWithinAsync(() => Missing().Count == 0, patience - waited.Elapsed, Ct, Poll);

            var missing = Missing();
            Assert.True(missing.Count == 0, $"missing {missing.Count} of {target}: {string.Join(",", missing.Take(15))}");
            Assert.Contains(received, m => m.Value.EndsWith("/telemetry", StringComparison.Ordinal));
        }
        finally
        {
            await second.KillAsync();
        }
    }

    private ChildProcess StartGateway(string site, int brokerPort) =>
        ChildProcess.Start("facilities-gateway", "dotnet",
        [
            Path.Combine(AppContext.BaseDirectory, "facilities-gateway.dll"), "--site", site, "--data", Path.Combine(_directory, "data"),
            "--Mqtt:Port", brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Mqtt:MaxReconnectDelay", "00:00:00.500", "--Gateway:MetricsPort", "0",
        ], new ChildProcessOptions { StopGrace = TimeSpan.Zero });

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

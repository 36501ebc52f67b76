using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Devices.Boiler;
using Facilities.FirmwareSim.Devices.Elevator;
using Facilities.Gateway.Outbox;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Profiles;
using Facilities.Gateway.Publishing;
using Facilities.Modbus.Master;
using Facilities.Modbus.Slave;
using Facilities.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;

namespace Facilities.Gateway.Tests;

/// <summary>Simulated devices, polled through the profiles, published through the disk outbox to a real Mosquitto.</summary>
public sealed class GatewayEndToEndTests : IAsyncDisposable
{
    private readonly string _outboxDirectory = Directory.CreateTempSubdirectory("gateway-outbox-").FullName;
    private readonly ConcurrentQueue<(string Topic, JsonElement Payload, bool Retained)> _received = new();
    private readonly CancellationTokenSource _stop = new();

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Devices_ReachTheBroker_FaultsAsEvents_AndNothingIsLostWhileTheBrokerIsDown()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        var now = DateTimeOffset.UtcNow;
        var lift = new ElevatorModel(new DeviceIdentity("lift-1", "Lift", "s", "b01", "bus", 1), new ElevatorOptions(), now);
        var boiler = new BoilerModel(new DeviceIdentity("boiler-1", "Boiler", "s", "plant", "bus", 2), new BoilerOptions(), now);
        var slave = new ModbusSlave();
        slave.Add(lift.Unit);
        slave.Add(boiler.Unit);
        await using var server = ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = server.LocalEndpoint.Port });

        var profiles = ProfileLoader.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "profiles"));
        await using var outbox = new DiskOutbox(new OutboxOptions { Directory = _outboxDirectory, FlushInterval = TimeSpan.FromMilliseconds(50) }, NullLogger.Instance);
        var pollers = new[]
        {
            new DevicePoller(new PolledDevice("estate-a", "gw-1", "lift-1", "b01", 1, profiles["facilities-sim-elevator"], TimeSpan.FromMilliseconds(200)), outbox, TimeProvider.System, new PollingPolicy(), NullLogger.Instance),
            new DevicePoller(new PolledDevice("estate-a", "gw-1", "boiler-1", "plant", 2, profiles["facilities-sim-boiler"], TimeSpan.FromMilliseconds(200)), outbox, TimeProvider.System, new PollingPolicy(), NullLogger.Instance),
        };
        var lane = new PollLane("bus", master, pollers, TimeProvider.System);
        var identity = new GatewayIdentity("estate-a", "gw-1", "test");
        var publisher = new MqttPublisher(new MqttOptions { Port = broker.Port, MaxReconnectDelay = TimeSpan.FromMilliseconds(500) }, identity, outbox,
            () => new GatewayStatusMessage(Schema.Version, 0, DateTimeOffset.UtcNow, "gw-1", "online", "test", 2, 2, outbox.Depth, outbox.Dropped), NullLogger.Instance);

        // A persistent session: the broker keeps the subscriber's messages while it is away, as it will for the cloud.
        var subscriber = await SubscribeAsync(broker.Port);
        var polling = lane.RunAsync(_stop.Token);
        var publishing = publisher.RunAsync(_stop.Token);

        await WaitForAsync(() => Messages("telemetry").Select(m => m.Payload.GetProperty("device").GetString()).Distinct().Count() == 2, "telemetry from both devices");
        var first = Messages("telemetry").First(m => m.Payload.GetProperty("device").GetString() == "boiler-1").Payload;
        Assert.Equal(Schema.Version, first.GetProperty("schema").GetInt32());
        Assert.Equal(boiler.Values()["pressure"], first.GetProperty("values").GetProperty("pressure").GetDouble(), 3);
        Assert.True(first.GetProperty("heartbeat").GetBoolean());
        await WaitForAsync(() => Messages("state").Count() >= 2 && Messages("status").Any(), "device states and gateway status");

        lift.Inject("trapped-at-floor", DateTimeOffset.UtcNow);
        await WaitForAsync(() => Messages("events").Any(m => m.Payload.GetProperty("point").GetString() == "fault_code"), "the fault event");
        var fault = Messages("events").First(m => m.Payload.GetProperty("point").GetString() == "fault_code").Payload;
        Assert.Equal(ElevatorFaults.Code("trapped-at-floor"), fault.GetProperty("value").GetDouble());
        Assert.Equal("trapped-at-floor", fault.GetProperty("label").GetString());

        // The broker goes away while polling goes on; readings wait in the outbox and arrive afterwards.
        await broker.StopAsync(graceful: true);
        subscriber.Dispose();
        boiler.Inject("lockout", DateTimeOffset.UtcNow);
        await WaitForAsync(() => outbox.Depth > 0, "readings queued in the outbox while the broker is down");
        await broker.RestartAsync(Ct);
        using var afterOutage = await SubscribeAsync(broker.Port);
        await WaitForAsync(() => Messages("events").Any(m => m.Payload.GetProperty("device").GetString() == "boiler-1" && m.Payload.GetProperty("point").GetString() == "lockout_code"), "the event raised during the outage");
        // Every number issued so far must arrive. Events overtake queued telemetry by design, so the test waits for
        // the whole range rather than for the outbox to empty or the last number to show up.
        var lastSeq = outbox.NextSequence - 1;
        List<long> Missing() => Enumerable.Range(1, (int)lastSeq).Select(i => (long)i).Except(Seqs()).ToList();
        // Asserted below, with the numbers that are missing.
        await Eventually.HoldsWithinAsync(() => Missing().Count == 0, Patience, Ct);
        var missing = Missing();
        Assert.True(missing.Count == 0, $"sequence numbers never delivered: {string.Join(",", missing.Take(20))}");

        await _stop.CancelAsync();
        await Task.WhenAll(polling, publishing);
    }

    private IEnumerable<(string Topic, JsonElement Payload, bool Retained)> Messages(string leaf) => _received.Where(m => m.Topic.EndsWith("/" + leaf, StringComparison.Ordinal));

    private HashSet<long> Seqs() => [.. _received.Select(m => m.Payload.GetProperty("seq").GetInt64()).Where(s => s > 0)];

    private async Task<IMqttClient> SubscribeAsync(int port)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            var payload = JsonDocument.Parse(e.ApplicationMessage.Payload).RootElement.Clone();
            _received.Enqueue((e.ApplicationMessage.Topic, payload, e.ApplicationMessage.Retain));
            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("e2e-subscriber")
            .WithCleanStart(false).WithSessionExpiryInterval(3600)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build(), Ct);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Topics.AllFilter, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        return client;
    }

    private static Task WaitForAsync(Func<bool> condition, string what) => Eventually.HoldsAsync(condition, what, Patience, Ct);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
        Directory.Delete(_outboxDirectory, recursive: true);
    }
}

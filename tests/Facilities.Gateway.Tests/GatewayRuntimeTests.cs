using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;
using Facilities.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;

namespace Facilities.Gateway.Tests;

/// <summary>The whole gateway against a simulated community on TCP, RTU-over-TCP and a serial pty line, publishing to Mosquitto.</summary>
public sealed class GatewayRuntimeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-runtime-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="controlLine">A second serial line of three healthy boilers, the peer a timing test compares with.</param>
    private CommunityFile Community(bool controlLine = false) => new()
    {
        Name = "t",
        Sites = [new SiteEntry { Id = "s", Buildings = [new BuildingEntry { Id = "b" }] }],
        Buses =
        [
            new BusEntry { Id = "tcp", Type = "tcp", Port = 0 },
            new BusEntry { Id = "conv", Type = "rtu-over-tcp", Port = 0 },
            new BusEntry { Id = "line", Type = "serial", Link = Path.Combine(_directory, "line"), BaudRate = 38400, Parity = "none" },
            .. controlLine ? [new BusEntry { Id = "control", Type = "serial", Link = Path.Combine(_directory, "control"), BaudRate = 38400, Parity = "none" }] : Array.Empty<BusEntry>(),
        ],
        Devices =
        [
            new DeviceEntry { Id = "lift", Kind = "elevator", Site = "s", Building = "b", Bus = "tcp", Unit = 1, Count = 4 },
            new DeviceEntry { Id = "shed", Kind = "charger-shed", Site = "s", Building = "b", Bus = "conv", Unit = 1, Count = 2, Options = JsonDocument.Parse("""{ "ports": 12 }""").RootElement },
            new DeviceEntry { Id = "boiler", Kind = "boiler", Site = "s", Building = "b", Bus = "line", Unit = 1, Count = 4 },
            .. controlLine ? [new DeviceEntry { Id = "peer", Kind = "boiler", Site = "s", Building = "b", Bus = "control", Unit = 1, Count = 3 }] : Array.Empty<DeviceEntry>(),
        ],
    };

    private LoadedSite Site(CommunityHost community, TimeSpan boilerInterval)
    {
        var control = community.Buses.SingleOrDefault(b => b.Id == "control");
        string Host(string bus) => community.Buses.Single(b => b.Id == bus).Endpoint.Split(':')[0];
        int Port(string bus) => int.Parse(community.Buses.Single(b => b.Id == bus).Endpoint.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var json = JsonSerializer.Serialize(new
        {
            site = "estate-t",
            gateway = "gw-t",
            buses = new List<object>
            {
                new { id = "tcp", type = "tcp", host = Host("tcp"), port = Port("tcp"), maxRequestsInFlight = 4 },
                new { id = "conv", type = "rtu-over-tcp", host = Host("conv"), port = Port("conv") },
                new { id = "line", type = "serial", device = community.Buses.Single(b => b.Id == "line").Endpoint, baudRate = 38400, parity = "none", stopBits = 2, timeout = "00:00:00.500" },
            }.Concat(control is null ? [] : [new { id = "control", type = "serial", device = control.Endpoint, baudRate = 38400, parity = "none", stopBits = 2, timeout = "00:00:00.500" }]),
            devices = new List<object>
            {
                new { id = "lift", bus = "tcp", unit = 1, count = 4, profile = "facilities-sim-elevator" },
                new { id = "shed", bus = "conv", unit = 1, count = 2, profile = "facilities-sim-charger-shed-12" },
                new { id = "boiler", bus = "line", unit = 1, count = 4, profile = "facilities-sim-boiler", pollInterval = boilerInterval.ToString() },
            }.Concat(control is null ? [] : [new { id = "peer", bus = "control", unit = 1, count = 3, profile = "facilities-sim-boiler", pollInterval = boilerInterval.ToString() }]),
        });
        var path = Path.Combine(_directory, "site.json");
        File.WriteAllText(path, json);
        return SiteLoader.Load(path, Path.Combine(AppContext.BaseDirectory, "profiles"));
    }

    [Fact]
    public async Task Runtime_EveryDeviceOnEveryBusKind_ReachesTheBrokerOnline()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var community = await CommunityHost.StartAsync(Community(), TimeProvider.System, NullLogger.Instance, Ct);
        var received = new ConcurrentQueue<(string Topic, JsonElement Payload)>();
        using var subscriber = await SubscribeAsync(broker.Port, received);
        var metricsPort = FreePort.Next();
        var options = new GatewayOptions { DataDirectory = Path.Combine(_directory, "data"), MetricsPort = metricsPort };
        await using (var runtime = GatewayRuntime.Start(Site(community, TimeSpan.FromSeconds(1)), options, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance))
        {
            await Eventually.HoldsWithinAsync(() => received.Count(m => m.Topic.EndsWith("/state", StringComparison.Ordinal)) >= 10, TimeSpan.FromSeconds(20), Ct, TimeSpan.FromMilliseconds(100));

            Assert.Equal(10, runtime.Devices.Count(d => d.Online == true));
            using var http = new HttpClient();
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics", Ct);
            Assert.Contains("facilities_gateway_device_online{device=\"boiler-3\"} 1", metrics, StringComparison.Ordinal);
            Assert.Contains("facilities_gateway_broker_connected 1", metrics, StringComparison.Ordinal);
            Assert.Matches(@"facilities_gateway_lane_utilisation\{lane=""line""\} 0\.\d+", metrics);
        }

        var online = received.Where(m => m.Topic.EndsWith("/state", StringComparison.Ordinal) && m.Payload.GetProperty("state").GetString() == "online")
            .Select(m => m.Payload.GetProperty("device").GetString()).ToHashSet();
        Assert.Equal(10, online.Count);
        var withTelemetry = received.Where(m => m.Topic.EndsWith("/telemetry", StringComparison.Ordinal)).Select(m => m.Payload.GetProperty("device").GetString()).ToHashSet();
        Assert.Equal(online, withTelemetry);
        Assert.Contains(received, m => m.Topic == Topics.GatewayStatus("estate-t", "gw-t") && m.Payload.GetProperty("state").GetString() == "online");
        // A clean stop has the broker publish the last will.
        await Eventually.HoldsWithinAsync(
            () => received.Any(m => m.Topic.EndsWith("/status", StringComparison.Ordinal) && m.Payload.GetProperty("state").GetString() == "offline"), TimeSpan.FromSeconds(5), Ct);

        Assert.Contains(received, m => m.Topic.EndsWith("/status", StringComparison.Ordinal) && m.Payload.GetProperty("state").GetString() == "offline");
    }

    [Fact]
    public async Task Runtime_StoppedWhileOnePollIsInFlightAndOthersWaitTheirTurn_StopsWithoutAnException()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        // Three boilers behind one TCP endpoint that takes one request at a time and answers only after a minute:
        // at the stop one lane's poll is in flight and the other two wait for the endpoint's request slot.
        var slave = new ModbusSlave();
        for (byte unit = 1; unit <= 3; unit++)
        {
            slave.Add(unit, new RegisterStore().Declare(RegisterTable.InputRegisters, 0, 100).Declare(RegisterTable.HoldingRegisters, 0, 100)).ResponseDelay = TimeSpan.FromMinutes(1);
        }

        await using var server = ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        var path = Path.Combine(_directory, "slow-site.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            site = "estate-t",
            gateway = "gw-t",
            buses = new[] { new { id = "plant", type = "tcp", host = "127.0.0.1", port = server.LocalEndpoint.Port, maxRequestsInFlight = 1, timeout = "00:00:30" } },
            devices = new[] { new { id = "boiler", bus = "plant", unit = 1, count = 3, profile = "facilities-sim-boiler" } },
        }));
        var site = SiteLoader.Load(path, Path.Combine(AppContext.BaseDirectory, "profiles"));
        var options = new GatewayOptions { DataDirectory = Path.Combine(_directory, "data"), MetricsPort = 0 };
        var runtime = GatewayRuntime.Start(site, options, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);
        await Eventually.HoldsWithinAsync(() => runtime.Devices.Any(d => d.Polls > 0), TimeSpan.FromSeconds(20), Ct, TimeSpan.FromMilliseconds(20));

        Assert.Equal(1, runtime.Devices.Count(d => d.Polls > 0));

        // Throws what a lane ended with, if anything; times out if a poll in flight held the stop.
        await runtime.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.All(runtime.Devices, d => Assert.Equal(0, d.Failures));
    }

    [Fact]
    public async Task DeadDeviceOnASharedSerialLine_CostsItsNeighboursAtMostOneTimeoutPerCycle()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var community = await CommunityHost.StartAsync(Community(controlLine: true), TimeProvider.System, NullLogger.Instance, Ct);
        community.Find("boiler-4")!.Inject("comm-offline", community.Clock.Now);
        var interval = TimeSpan.FromMilliseconds(250);
        var options = new GatewayOptions { DataDirectory = Path.Combine(_directory, "data"), MetricsPort = 0 };
        await using var runtime = GatewayRuntime.Start(Site(community, interval), options, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);
        var window = TimeSpan.FromSeconds(10);
        await Task.Delay(window, Ct);

        var line = runtime.Lanes.Single(l => l.Name == "line").Devices.ToDictionary(d => d.Id);
        var peers = runtime.Lanes.Single(l => l.Name == "control").Devices.ToList();
        Assert.False(line["boiler-4"].Online);
        // The dead one is polled rarely once it backs off (without the back-off: every interval, about 40 times), and
        // never at its neighbours' expense: they fail nothing and keep most of what the same boilers on a healthy line
        // of the same gateway got in the same seconds (a peer, so a loaded machine slows both alike).
        var peerPolls = peers.Min(p => p.Polls);
        Assert.True(peerPolls >= 10, $"the healthy line itself was polled only {peerPolls} times");
        var neighbours = new[] { "boiler-1", "boiler-2", "boiler-3" };
        foreach (var healthy in neighbours)
        {
            Assert.True(line[healthy].Polls >= 0.5 * peerPolls, $"{healthy}: {line[healthy].Polls} polls; the healthy line's boilers {peerPolls}");
        }

        // Failures likewise against the peer: a loaded machine may cost any pty one late answer, but a dead neighbour
        // that stole the line's time would fail the healthy ones cycle after cycle.
        var neighbourFailures = neighbours.Sum(d => line[d].Failures);
        var peerFailures = peers.Sum(p => p.Failures);
        Assert.True(neighbourFailures <= peerFailures + 1,
            $"the dead device's neighbours failed {neighbourFailures} polls, the healthy line's boilers {peerFailures}");

        Assert.True(line["boiler-4"].Polls <= 8, $"the dead device was polled {line["boiler-4"].Polls} times");
    }

    [Fact]
    public async Task Commands_WritableOnly_EachAnswered_BadPayloadsIgnored()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var community = await CommunityHost.StartAsync(Community(), TimeProvider.System, NullLogger.Instance, Ct);
        var received = new ConcurrentQueue<(string Topic, JsonElement Payload)>();
        using var cloud = await SubscribeAsync(broker.Port, received);
        var options = new GatewayOptions { DataDirectory = Path.Combine(_directory, "data"), MetricsPort = 0 };
        await using var runtime = GatewayRuntime.Start(Site(community, TimeSpan.FromSeconds(1)), options, new MqttOptions { Port = broker.Port }, TimeProvider.System, NullLoggerFactory.Instance);
        while (!runtime.Publisher.Connected)
        {
            await Task.Delay(50, Ct);
        }

        await Task.Delay(300, Ct);
        var topic = Topics.Commands("estate-t", "gw-t");
        async Task SendAsync(string payload) => await cloud.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        string Command(string id, string device, string point, double value) =>
            MessageJson.Serialize(new CommandMessage(Schema.Version, id, device, point, value, DateTimeOffset.UtcNow)) is var bytes ? System.Text.Encoding.UTF8.GetString(bytes) : "";

        await SendAsync("{ this is not json");
        await SendAsync(Command("c1", "shed-2", "port_3_enabled", 0));
        await SendAsync(Command("c2", "shed-2", "port_3_power", 100));
        await SendAsync(Command("c3", "shed-9", "port_3_enabled", 0));
        await SendAsync(Command("c4", "shed-2", "port_3_enabled", 7));

        Dictionary<string, JsonElement> Results() => received.Where(m => m.Topic.EndsWith("/command-results", StringComparison.Ordinal))
            .GroupBy(m => m.Payload.GetProperty("id").GetString()!).ToDictionary(g => g.Key, g => g.First().Payload);
        await Eventually.HoldsWithinAsync(() => Results().Count >= 4, TimeSpan.FromSeconds(10), Ct);

        var results = Results();
        Assert.True(results["c1"].GetProperty("success").GetBoolean());
        Assert.Equal(0, community.Find("shed-2")!.Values()["port_3_enabled"]);
        Assert.Contains("not writable", results["c2"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("no device 'shed-9'", results["c3"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("write 0 or 1", results["c4"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, runtime.Publisher.RejectedCommands);
    }

    private static async Task<IMqttClient> SubscribeAsync(int port, ConcurrentQueue<(string, JsonElement)> received)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            received.Enqueue((e.ApplicationMessage.Topic, JsonDocument.Parse(e.ApplicationMessage.Payload).RootElement.Clone()));
            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build(), Ct);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Topics.AllFilter, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);
        return client;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Devices.AedCabinet;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Profiles;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Gateway.Tests;

public sealed class DevicePollerTests
{
    /// <summary>Collects what a poller publishes (a pure sink; the outbox is tested on its own).</summary>
    private sealed class ListSink : IMessageSink
    {
        private long _seq;

        public ConcurrentQueue<(string Topic, JsonElement Payload)> Messages { get; } = new();

        public void Enqueue(string topic, bool retain, MessageClass messageClass, Func<long, byte[]> payload) =>
            Messages.Enqueue((topic, JsonDocument.Parse(Encoding.UTF8.GetString(payload(Interlocked.Increment(ref _seq)))).RootElement.Clone()));
    }

    [Fact]
    public async Task PointWithItsOwnInterval_AedTakenOut_ReportedWithinSecondsWhileClimateWaitsItsMinute()
    {
        var ct = TestContext.Current.CancellationToken;
        var aed = new AedCabinetModel(new DeviceIdentity("aed", "aed", "s", "b", "bus", 1), new AedCabinetOptions(), DateTimeOffset.UtcNow);
        var slave = new ModbusSlave();
        slave.Add(aed.Unit);
        await using var server = ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = server.LocalEndpoint.Port });
        var profile = ProfileLoader.Load(Path.Combine(AppContext.BaseDirectory, "profiles", "facilities-sim-aed-cabinet.json"));
        var sink = new ListSink();
        var poller = new DevicePoller(new PolledDevice("s", "g", "aed", "b", 1, profile, profile.PollInterval), sink, TimeProvider.System, new PollingPolicy(), NullLogger.Instance);
        Assert.Equal(2, poller.Plans.Count());

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var lane = new PollLane("t", master, [poller], TimeProvider.System).RunAsync(stop.Token);
        await Task.Delay(500, ct);
        aed.Inject("aed-removed", DateTimeOffset.UtcNow);
        await Eventually.HoldsWithinAsync(
            () => sink.Messages.Any(m => m.Topic.EndsWith("/events", StringComparison.Ordinal) && m.Payload.GetProperty("point").GetString() == "aed_present"), TimeSpan.FromSeconds(4), ct);

        await stop.CancelAsync();
        await lane;
        Assert.Contains(sink.Messages, m => m.Topic.EndsWith("/events", StringComparison.Ordinal) && m.Payload.GetProperty("point").GetString() == "aed_present");
        // The minute-interval group (climate, readiness) has been read once only, at the start.
        Assert.DoesNotContain(sink.Messages, m => m.Topic.EndsWith("/events", StringComparison.Ordinal) && m.Payload.GetProperty("point").GetString() == "readiness");
    }

    [Fact]
    public async Task ScaledRegister_PublishedPayload_CarriesTheShortDecimalWithoutBinaryNoise()
    {
        var ct = TestContext.Current.CancellationToken;
        var registers = new RegisterStore().Declare(RegisterTable.InputRegisters, 0, 1);
        registers.Set(RegisterTable.InputRegisters, 0, 514);
        var slave = new ModbusSlave();
        slave.Add(1, registers);
        await using var server = ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = server.LocalEndpoint.Port });
        var point = new PointSpec { Name = "return_temperature", Table = RegisterTable.InputRegisters, Address = 0, Type = PointType.UInt16, Count = 1, Scale = 0.1, Unit = "°C" };
        var profile = new CompiledProfile("t", "boiler", "", TimeSpan.FromSeconds(10), 0, TimeSpan.FromMinutes(5), 0, 125, [point]);
        var sink = new ListSink();
        var poller = new DevicePoller(new PolledDevice("s", "g", "boiler-1", "b", 1, profile, profile.PollInterval), sink, TimeProvider.System, new PollingPolicy(), NullLogger.Instance);

        await poller.PollAsync(master, ct);

        var telemetry = Assert.Single(sink.Messages, m => m.Topic.EndsWith("/telemetry", StringComparison.Ordinal));
        // The number's text as serialized: 514 × 0.1 in binary is 51.400000000000006.
        Assert.Equal("51.4", telemetry.Payload.GetProperty("values").GetProperty("return_temperature").GetRawText());
    }
}

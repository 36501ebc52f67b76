using System.Net;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Profiles;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Gateway.Tests;

/// <summary>Stopping a lane (Ctrl-C, systemd stop) is its normal end, wherever the lane was.</summary>
public sealed class PollLaneTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class DiscardingSink : IMessageSink
    {
        public void Enqueue(string topic, bool retain, MessageClass messageClass, Func<long, byte[]> payload)
        {
        }
    }

    private static DevicePoller Poller(string id, byte unit)
    {
        var point = new PointSpec { Name = "r", Table = RegisterTable.HoldingRegisters, Address = 0, Type = PointType.UInt16, Count = 1 };
        var profile = new CompiledProfile("t", "boiler", "", TimeSpan.FromSeconds(1), 0, TimeSpan.FromMinutes(5), 0, 125, [point]);
        return new DevicePoller(new PolledDevice("s", "g", id, "b", unit, profile, profile.PollInterval), new DiscardingSink(), TimeProvider.System, new PollingPolicy(), NullLogger.Instance);
    }

    /// <summary>A device that answers only after a minute: a poll of it stays in flight for as long as a test needs.</summary>
    private static ModbusSlaveServer SlowDevices(params byte[] units)
    {
        var slave = new ModbusSlave();
        foreach (var unit in units)
        {
            slave.Add(unit, new RegisterStore().Declare(RegisterTable.HoldingRegisters, 0, 1)).ResponseDelay = TimeSpan.FromMinutes(1);
        }

        return ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
    }

    private static ModbusMaster Master(ModbusSlaveServer server) => ModbusMaster.CreateTcp(new ModbusTcpMasterOptions
    {
        Host = "127.0.0.1", Port = server.LocalEndpoint.Port, RequestTimeout = TimeSpan.FromMinutes(2), MaxRequestsInFlight = 4,
    });

    [Fact]
    public async Task Lane_StoppedWhileAPollIsInFlight_EndsWithoutAnException()
    {
        await using var server = SlowDevices(1);
        await using var master = Master(server);
        var device = Poller("slow", 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var lane = new PollLane("t", master, [device], TimeProvider.System).RunAsync(stop.Token);
        await Eventually.HoldsAsync(() => device.Polls == 1, "the first poll to start", Deadline, Ct, TimeSpan.FromMilliseconds(20));

        await stop.CancelAsync();

        // Throws what the lane ended with, if anything; times out if the poll in flight held it.
        await lane.WaitAsync(Deadline, Ct);
        Assert.True(lane.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Lane_StoppedWhileWaitingForTheEndpointsRequestLimit_EndsWithoutAnException()
    {
        await using var server = SlowDevices(1, 2);
        await using var master = Master(server);
        var (first, second) = (Poller("first", 1), Poller("second", 2));
        using var limit = new SemaphoreSlim(1, 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var firstLane = new PollLane("t/first", master, [first], TimeProvider.System, limit).RunAsync(stop.Token);
        var secondLane = new PollLane("t/second", master, [second], TimeProvider.System, limit).RunAsync(stop.Token);
        await Eventually.HoldsAsync(() => first.Polls == 1 && limit.CurrentCount == 0, "the first device's poll to hold the endpoint's only request slot", Deadline, Ct, TimeSpan.FromMilliseconds(20));
        Assert.Equal(0, second.Polls);

        await stop.CancelAsync();

        await secondLane.WaitAsync(Deadline, Ct);
        await firstLane.WaitAsync(Deadline, Ct);
        Assert.True(secondLane.IsCompletedSuccessfully && firstLane.IsCompletedSuccessfully);
        Assert.Equal(1, limit.CurrentCount);
    }
}

using System.Net;
using Facilities.Modbus.Framing;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;
using Facilities.Modbus.Tests.Support;

namespace Facilities.Modbus.Tests.Masters;

/// <summary>The RTU master's framing and recovery, exercised over RTU-over-TCP against scripted converters.</summary>
public sealed class RtuMasterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ModbusMaster Connect(int port, int timeoutMs = 300, RtuTiming? timing = null) =>
        ModbusMaster.CreateRtuOverTcp(new ModbusRtuOverTcpMasterOptions
        {
            Host = "127.0.0.1",
            Port = port,
            RequestTimeout = TimeSpan.FromMilliseconds(timeoutMs),
            Timing = timing ?? RtuTiming.ForNetwork(TimeSpan.FromMilliseconds(50)),
        });

    private static byte[] Answer(byte unit, params ushort[] values) => Frames.Rtu([unit, .. Frames.RegistersPdu(3, values)]);

    [Fact]
    public async Task Read_OtherUnitAnswersFirst_ItsFrameIsSkipped()
    {
        await using var device = new ScriptedDevice(_ => [new Reply(Answer(2, 666)), new Reply(Answer(1, 42), TimeSpan.FromMilliseconds(5))]);
        await using var master = Connect(device.Port);
        Assert.Equal([42], (await master.ReadHoldingRegistersAsync(1, 0, 1, Ct)).Value);
    }

    [Fact]
    public async Task Read_BadCrcThenGoodFrame_GoodFrameIsAccepted()
    {
        var corrupt = Answer(1, 666);
        corrupt[^1] ^= 0xFF;
        await using var device = new ScriptedDevice(_ => [new Reply(corrupt), new Reply(Answer(1, 42), TimeSpan.FromMilliseconds(120))]);
        await using var master = Connect(device.Port, timeoutMs: 1000);
        Assert.Equal([42], (await master.ReadHoldingRegistersAsync(1, 0, 1, Ct)).Value);
    }

    [Fact]
    public async Task Read_OnlyBadCrc_TimesOutSayingWhatWasDiscarded()
    {
        var corrupt = Answer(1, 666);
        corrupt[3] ^= 0x10;
        await using var device = new ScriptedDevice(_ => [new Reply(corrupt)]);
        await using var master = Connect(device.Port);
        var error = await Assert.ThrowsAsync<ModbusTimeoutException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 1, Ct));
        Assert.Contains("BadCrc", error.Message, StringComparison.Ordinal);
        Assert.Contains("unit 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_FrameCutShort_DoesNotHangAndLineRecovers()
    {
        var calls = 0;
        await using var device = new ScriptedDevice(_ => Interlocked.Increment(ref calls) == 1
            ? [new Reply(Answer(1, 1, 2, 3)[..6])]
            : [new Reply(Answer(1, 7, 8, 9))]);
        await using var master = Connect(device.Port);
        await Assert.ThrowsAsync<ModbusTimeoutException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 3, Ct));
        Assert.Equal([7, 8, 9], (await master.ReadHoldingRegistersAsync(1, 0, 3, Ct)).Value);
    }

    [Fact]
    public async Task Read_LateAnswerAfterTimeout_IsDrainedNotTakenForNextAnswer()
    {
        var calls = 0;
        await using var device = new ScriptedDevice(_ => Interlocked.Increment(ref calls) == 1
            ? [new Reply(Answer(1, 111), TimeSpan.FromMilliseconds(200))]
            : [new Reply(Answer(1, 222), TimeSpan.FromMilliseconds(20))]);
        await using var master = Connect(device.Port, timeoutMs: 120);
        await Assert.ThrowsAsync<ModbusTimeoutException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 1, Ct));
        await Task.Delay(150, Ct);
        // The same unit and function: only draining tells the late 111 from the fresh 222.
        Assert.Equal([222], (await master.ReadHoldingRegistersAsync(1, 0, 1, Ct)).Value);
    }

    [Fact]
    public async Task Write_Broadcast_ReturnsWithoutWaitingForAnswer()
    {
        await using var device = new ScriptedDevice(_ => []);
        await using var master = Connect(device.Port, timeoutMs: 5000);
        var started = TimeProvider.System.GetTimestamp();
        Assert.True((await master.WriteSingleRegisterAsync(0, 4, 9, Ct)).IsSuccess);
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(2));
        // The device records the frame on its own schedule; give it a moment rather than racing it.
        for (var i = 0; i < 100 && device.Requests.Count == 0; i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.Equal(Frames.Rtu(0, 0x06, 0, 4, 0, 9), Assert.Single(device.Requests));
    }

    [Fact]
    public async Task Read_Broadcast_IsRefused()
    {
        await using var master = Connect(TcpMasterTests.FreePort());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await master.ReadHoldingRegistersAsync(0, 0, 1, Ct));
    }

    [Fact]
    public async Task AllFunctions_AgainstOwnRtuOverTcpSlave_MultiDropUnitsKeepTheirData()
    {
        var slave = new ModbusSlave();
        for (byte unit = 1; unit <= 3; unit++)
        {
            var store = new RegisterStore().Declare(RegisterTable.HoldingRegisters, 0, 10).Declare(RegisterTable.Coils, 0, 10);
            store.Set(RegisterTable.HoldingRegisters, 0, (ushort)(unit * 100));
            slave.Add(unit, store);
        }

        await using var server = ModbusSlaveServer.StartRtuOverTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = Connect(server.LocalEndpoint.Port, timeoutMs: 1000);
        for (byte unit = 1; unit <= 3; unit++)
        {
            Assert.Equal([(ushort)(unit * 100)], (await master.ReadHoldingRegistersAsync(unit, 0, 1, Ct)).Value);
        }

        Assert.True((await master.WriteMultipleCoilsAsync(2, 0, new[] { true, true, false, true }, Ct)).IsSuccess);
        Assert.Equal(new[] { true, true, false, true }, (await master.ReadCoilsAsync(2, 0, 4, Ct)).Value);
        Assert.Equal(new[] { false, false, false, false }, (await master.ReadCoilsAsync(1, 0, 4, Ct)).Value);
        Assert.Equal([5, 6, 0], (await master.ReadWriteMultipleRegistersAsync(3, 1, 3, 1, new ushort[] { 5, 6 }, Ct)).Value);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, (await master.ReadHoldingRegistersAsync(1, 9, 2, Ct)).ExceptionCode);
        // A unit nobody hosts stays silent on an RTU line.
        await Assert.ThrowsAsync<ModbusTimeoutException>(async () => await master.ReadHoldingRegistersAsync(9, 0, 1, Ct));
        Assert.Equal([100], (await master.ReadHoldingRegistersAsync(1, 0, 1, Ct)).Value);
    }
}

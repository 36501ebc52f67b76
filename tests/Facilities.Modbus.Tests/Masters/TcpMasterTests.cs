using System.Net;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;
using Facilities.Modbus.Tests.Support;

namespace Facilities.Modbus.Tests.Masters;

public sealed class TcpMasterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ModbusMaster Connect(int port, int inFlight = 1, int timeoutMs = 500) => ModbusMaster.CreateTcp(new ModbusTcpMasterOptions
    {
        Host = "127.0.0.1",
        Port = port,
        RequestTimeout = TimeSpan.FromMilliseconds(timeoutMs),
        MaxRequestsInFlight = inFlight,
    });

    [Fact]
    public async Task Read_StrayTransactionBeforeAnswer_IsDiscarded()
    {
        await using var device = new ScriptedDevice(request =>
        [
            new Reply(Frames.Mbap((ushort)(Frames.TransactionId(request) + 100), 1, Frames.RegistersPdu(3, 666))),
            new Reply(Frames.Mbap(Frames.TransactionId(request), 1, Frames.RegistersPdu(3, 42))),
        ]);
        await using var master = Connect(device.Port);
        var result = await master.ReadHoldingRegistersAsync(1, 0, 1, Ct);
        Assert.Equal([42], result.Value);
    }

    [Fact]
    public async Task Read_LateAnswerToTimedOutRequest_IsNotTakenForNextAnswer()
    {
        var calls = 0;
        await using var device = new ScriptedDevice(request => Interlocked.Increment(ref calls) == 1
            ? [new Reply(Frames.Mbap(Frames.TransactionId(request), 1, Frames.RegistersPdu(3, 1)), TimeSpan.FromMilliseconds(400))]
            : [new Reply(Frames.Mbap(Frames.TransactionId(request), 1, Frames.RegistersPdu(3, 2)))]);
        await using var master = Connect(device.Port, timeoutMs: 150);
        await Assert.ThrowsAsync<ModbusTimeoutException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 1, Ct));
        await Task.Delay(400, Ct);
        Assert.Equal([2], (await master.ReadHoldingRegistersAsync(1, 0, 1, Ct)).Value);
    }

    [Fact]
    public async Task Read_WrongByteCount_ThrowsFrameError()
    {
        await using var device = new ScriptedDevice(request =>
            [new Reply(Frames.Mbap(Frames.TransactionId(request), 1, Frames.RegistersPdu(3, 1, 2, 3)))]);
        await using var master = Connect(device.Port);
        var error = await Assert.ThrowsAsync<ModbusFrameException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 2, Ct));
        Assert.Equal(FrameError.BadByteCount, error.Error);
        Assert.Contains("unit 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_AnsweredByOtherUnit_ThrowsUnexpectedUnit()
    {
        await using var device = new ScriptedDevice(request =>
            [new Reply(Frames.Mbap(Frames.TransactionId(request), 7, Frames.RegistersPdu(3, 1)))]);
        await using var master = Connect(device.Port);
        var error = await Assert.ThrowsAsync<ModbusFrameException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 1, Ct));
        Assert.Equal(FrameError.UnexpectedUnit, error.Error);
    }

    [Fact]
    public async Task Read_LyingMbapLength_ClosesAndNextRequestReconnects()
    {
        var calls = 0;
        await using var device = new ScriptedDevice(request => Interlocked.Increment(ref calls) == 1
            ? [new Reply([request[0], request[1], 0, 0, 0xFF, 0xFF, 1, 3])]
            : [new Reply(Frames.Mbap(Frames.TransactionId(request), 1, Frames.RegistersPdu(3, 9)))]);
        await using var master = Connect(device.Port);
        var error = await Assert.ThrowsAsync<ModbusFrameException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 1, Ct));
        Assert.Equal(FrameError.TooLong, error.Error);
        Assert.Equal([9], (await master.ReadHoldingRegistersAsync(1, 0, 1, Ct)).Value);
        Assert.Equal(2, device.Connections);
    }

    [Fact]
    public async Task Read_DeviceHangsUp_ReportsConnectionAndReopens()
    {
        var calls = 0;
        await using var device = new ScriptedDevice(request => Interlocked.Increment(ref calls) == 1
            ? [Reply.HangUp]
            : [new Reply(Frames.Mbap(Frames.TransactionId(request), 1, Frames.RegistersPdu(3, 5)))]);
        await using var master = Connect(device.Port);
        await Assert.ThrowsAsync<ModbusConnectionException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 1, Ct));
        Assert.Equal([5], (await master.ReadHoldingRegistersAsync(1, 0, 1, Ct)).Value);
    }

    [Fact]
    public async Task Read_NothingListening_ThrowsConnectionErrorNamingEndpoint()
    {
        var port = FreePort();
        await using var master = Connect(port);
        var error = await Assert.ThrowsAsync<ModbusConnectionException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 1, Ct));
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_HalfAFrameThenSilence_TimesOutInsteadOfHanging()
    {
        await using var device = new ScriptedDevice(request => [new Reply(Frames.Mbap(Frames.TransactionId(request), 1, Frames.RegistersPdu(3, 1, 2))[..9])]);
        await using var master = Connect(device.Port, timeoutMs: 200);
        await Assert.ThrowsAsync<ModbusTimeoutException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 2, Ct));
    }

    [Fact]
    public async Task Read_ExceptionResponse_IsResultNotThrow()
    {
        await using var device = new ScriptedDevice(request => [new Reply(Frames.Mbap(Frames.TransactionId(request), 1, 0x83, 0x02))]);
        await using var master = Connect(device.Port);
        var result = await master.ReadHoldingRegistersAsync(1, 0, 2, Ct);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, result.ExceptionCode);
        Assert.Throws<ModbusDeviceException>(() => result.Value);
    }

    [Fact]
    public async Task Read_PipelinedRequestsAnsweredOutOfOrder_EachGetsItsOwnAnswer()
    {
        var pending = new List<byte[]>();
        // Holds every request until eight have arrived, then answers them newest first with each request's address.
        await using var device = new ScriptedDevice(request =>
        {
            var replies = new List<Reply>();
            for (var offset = 0; offset + 12 <= request.Length; offset += 12)
            {
                lock (pending)
                {
                    pending.Add(request[offset..(offset + 12)]);
                    if (pending.Count == 8)
                    {
                        replies.AddRange(pending.AsEnumerable().Reverse().Select(r =>
                            new Reply(Frames.Mbap(Frames.TransactionId(r), 1, Frames.RegistersPdu(3, (ushort)((r[8] << 8) | r[9]))))));
                        pending.Clear();
                    }
                }
            }

            return replies;
        });
        await using var master = Connect(device.Port, inFlight: 8, timeoutMs: 3000);
        var reads = Enumerable.Range(0, 8).Select(i => master.ReadHoldingRegistersAsync(1, (ushort)(100 + i), 1, Ct).AsTask()).ToArray();
        var results = await Task.WhenAll(reads);
        Assert.Equal(Enumerable.Range(100, 8).Select(i => (ushort)i), results.Select(r => r.Value[0]));
    }

    [Fact]
    public async Task Write_EchoDiffersFromRequest_ThrowsBadEcho()
    {
        await using var device = new ScriptedDevice(request => [new Reply(Frames.Mbap(Frames.TransactionId(request), 1, 0x06, 0, 1, 0, 99))]);
        await using var master = Connect(device.Port);
        var error = await Assert.ThrowsAsync<ModbusFrameException>(async () => await master.WriteSingleRegisterAsync(1, 1, 5, Ct));
        Assert.Equal(FrameError.BadEcho, error.Error);
    }

    [Fact]
    public async Task Read_Cancelled_ThrowsOperationCanceledAndConnectionStaysUsable()
    {
        var calls = 0;
        await using var device = new ScriptedDevice(request => Interlocked.Increment(ref calls) == 1
            ? []
            : [new Reply(Frames.Mbap(Frames.TransactionId(request), 1, Frames.RegistersPdu(3, 3)))]);
        await using var master = Connect(device.Port, timeoutMs: 5000);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await master.ReadHoldingRegistersAsync(1, 0, 1, cancel.Token));
        Assert.Equal([3], (await master.ReadHoldingRegistersAsync(1, 0, 1, Ct)).Value);
        Assert.Equal(1, device.Connections);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(126)]
    public async Task Read_QuantityOutsideProtocolLimits_ThrowsBeforeSending(int count)
    {
        await using var master = Connect(FreePort());
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await master.ReadHoldingRegistersAsync(1, 0, (ushort)count, Ct));
        Assert.Contains("1 to 125", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_TooManyRegisters_ThrowsBeforeSending()
    {
        await using var master = Connect(FreePort());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await master.WriteMultipleRegistersAsync(1, 0, new ushort[124], Ct));
    }

    [Fact]
    public async Task AllFunctions_AgainstOwnSlave_RoundTrip()
    {
        var store = new RegisterStore()
            .Declare(RegisterTable.Coils, 0, 40).Declare(RegisterTable.DiscreteInputs, 0, 8)
            .Declare(RegisterTable.InputRegisters, 0, 4).Declare(RegisterTable.HoldingRegisters, 0, 20);
        store.SetBit(RegisterTable.DiscreteInputs, 3, true);
        store.Set(RegisterTable.InputRegisters, 0, 11, 12);
        var slave = new ModbusSlave();
        slave.Add(3, store);
        await using var server = ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = Connect(server.LocalEndpoint.Port);

        Assert.True((await master.WriteSingleCoilAsync(3, 1, true, Ct)).IsSuccess);
        Assert.True((await master.WriteMultipleCoilsAsync(3, 30, new[] { true, false, true }, Ct)).IsSuccess);
        Assert.Equal(new[] { false, true, false }, (await master.ReadCoilsAsync(3, 0, 3, Ct)).Value);
        Assert.Equal(new[] { true, false, true }, (await master.ReadCoilsAsync(3, 30, 3, Ct)).Value);
        Assert.Equal(new[] { false, false, false, true }, (await master.ReadDiscreteInputsAsync(3, 0, 4, Ct)).Value);
        Assert.Equal([11, 12], (await master.ReadInputRegistersAsync(3, 0, 2, Ct)).Value);
        Assert.True((await master.WriteSingleRegisterAsync(3, 0, 0xBEEF, Ct)).IsSuccess);
        Assert.True((await master.WriteMultipleRegistersAsync(3, 1, new ushort[] { 1, 2, 3 }, Ct)).IsSuccess);
        Assert.Equal([0xBEEF, 1, 2, 3], (await master.ReadHoldingRegistersAsync(3, 0, 4, Ct)).Value);
        Assert.Equal([7, 8, 3], (await master.ReadWriteMultipleRegistersAsync(3, 1, 3, 1, new ushort[] { 7, 8 }, Ct)).Value);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, (await master.ReadHoldingRegistersAsync(3, 19, 2, Ct)).ExceptionCode);
        Assert.Equal(ModbusExceptionCode.GatewayPathUnavailable, (await master.ReadHoldingRegistersAsync(4, 0, 1, Ct)).ExceptionCode);
    }

    internal static int FreePort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

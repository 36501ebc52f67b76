using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Serial;
using static Facilities.Modbus.Tests.Interop.InteropUnits;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>
/// Our master against pymodbus' server: every function code, exception responses, several units on one endpoint.
/// Values come from <see cref="InteropUnits"/>; writes are checked on what the pymodbus server reports it stored.
/// </summary>
public abstract class MasterAgainstPymodbusTests(PymodbusServerFixture fixture)
{
    // Each write test its own scratch address, so the tests share one server in any order.
    private const ushort SingleCoil = ScratchStart;
    private const ushort MultipleCoils = ScratchStart + 10;
    private const ushort SingleRegister = ScratchStart;
    private const ushort MultipleRegisters = ScratchStart + 10;
    private const ushort ReadWriteRegisters = ScratchStart + 20;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ModbusMaster Master => fixture.Master;

    [Fact]
    public async Task ReadCoils_ThirteenFromMeter_MatchDeclaredBits()
    {
        var result = await Master.ReadCoilsAsync(Meter, 0, 13, Ct);

        Assert.Equal(MeterData.CoilBits(0, 13), result.Value);
    }

    [Fact]
    public async Task ReadDiscreteInputs_TenFromMeter_MatchDeclaredBits()
    {
        var result = await Master.ReadDiscreteInputsAsync(Meter, 0, 10, Ct);

        Assert.Equal(MeterData.DiscreteInputBits(0, 10), result.Value);
    }

    [Fact]
    public async Task ReadHoldingRegisters_TenFromMeter_MatchDeclaredValues()
    {
        var result = await Master.ReadHoldingRegistersAsync(Meter, 0, 10, Ct);

        Assert.Equal(MeterData.Holding(0, 10), result.Value);
    }

    [Fact]
    public async Task ReadInputRegisters_TenFromMeter_MatchDeclaredValues()
    {
        var result = await Master.ReadInputRegistersAsync(Meter, 0, 10, Ct);

        Assert.Equal(MeterData.Input(0, 10), result.Value);
    }

    [Fact]
    public async Task WriteSingleCoil_On_PeerStoresOne()
    {
        var result = await Master.WriteSingleCoilAsync(Meter, SingleCoil, true, Ct);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(new[] { 1 }, await fixture.Server.WaitForWriteAsync(Meter, "co", SingleCoil, Ct));
    }

    [Fact]
    public async Task WriteSingleRegister_TopBitSet_PeerStoresExactValue()
    {
        var result = await Master.WriteSingleRegisterAsync(Meter, SingleRegister, 0xBEEF, Ct);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(new[] { 0xBEEF }, await fixture.Server.WaitForWriteAsync(Meter, "hr", SingleRegister, Ct));
    }

    [Fact]
    public async Task WriteMultipleCoils_TenBitsAcrossTwoBytes_PeerStoresEachBit()
    {
        bool[] bits = [true, false, true, true, false, false, true, false, true, true];

        var result = await Master.WriteMultipleCoilsAsync(Meter, MultipleCoils, bits, Ct);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(bits.Select(b => b ? 1 : 0), await fixture.Server.WaitForWriteAsync(Meter, "co", MultipleCoils, Ct));
    }

    [Fact]
    public async Task WriteMultipleRegisters_ThreeValues_PeerStoresThem()
    {
        ushort[] values = [1, 0x8000, 0xFFFF];

        var result = await Master.WriteMultipleRegistersAsync(Meter, MultipleRegisters, values, Ct);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(values.Select(v => (int)v), await fixture.Server.WaitForWriteAsync(Meter, "hr", MultipleRegisters, Ct));
    }

    [Fact]
    public async Task ReadWriteMultipleRegisters_OverlappingRanges_ReadsWhatWasJustWritten()
    {
        // Reads one register either side of the two written: the peer writes before it reads.
        var result = await Master.ReadWriteMultipleRegistersAsync(Meter, ReadWriteRegisters - 1, 4, ReadWriteRegisters, new ushort[] { 0x1111, 0x2222 }, Ct);

        Assert.Equal([0, 0x1111, 0x2222, 0], result.Value);
    }

    [Fact]
    public async Task ReadHoldingRegisters_MostOneRequestMayAskFor_MatchDeclaredValues()
    {
        var result = await Master.ReadHoldingRegistersAsync(Meter, 0, MaxReadRegisters, Ct);

        Assert.Equal(MeterData.Holding(0, MaxReadRegisters), result.Value);
    }

    [Fact]
    public async Task WriteMultipleRegisters_MostOneRequestMayCarry_PeerStoresThem()
    {
        var values = Enumerable.Range(0, MaxWriteRegisters).Select(i => (ushort)(0xA000 + i)).ToArray();

        var result = await Master.WriteMultipleRegistersAsync(Meter, LargeScratchStart, values, Ct);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(values.Select(v => (int)v), await fixture.Server.WaitForWriteAsync(Meter, "hr", LargeScratchStart, Ct));
    }

    [Fact]
    public async Task ReadHoldingRegisters_UndeclaredAddress_ReturnsIllegalDataAddress()
    {
        var result = await Master.ReadHoldingRegistersAsync(Meter, Undeclared, 2, Ct);

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, result.ExceptionCode);
    }

    [Fact]
    public async Task ReadHoldingRegisters_RangeRunningPastTable_ReturnsIllegalDataAddress()
    {
        var result = await Master.ReadHoldingRegistersAsync(Meter, Size - 2, 4, Ct);

        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, result.ExceptionCode);
    }

    [Fact]
    public async Task ReadHoldingRegisters_BusyUnit_ReturnsServerDeviceBusy()
    {
        var result = await Master.ReadHoldingRegistersAsync(Busy, 0, 1, Ct);

        Assert.Equal(ModbusExceptionCode.ServerDeviceBusy, result.ExceptionCode);
    }

    [Fact]
    public async Task ReadCoils_BusyUnit_ReturnsServerDeviceBusy()
    {
        var result = await Master.ReadCoilsAsync(Busy, 0, 4, Ct);

        Assert.Equal(ModbusExceptionCode.ServerDeviceBusy, result.ExceptionCode);
    }

    [Fact]
    public async Task ReadHoldingRegisters_TwoUnitsOnOneEndpoint_EachAnswersWithItsOwnData()
    {
        var meter = await Master.ReadHoldingRegistersAsync(Meter, 0, 4, Ct);
        var pump = await Master.ReadHoldingRegistersAsync(Pump, 0, 4, Ct);

        Assert.Equal(MeterData.Holding(0, 4), meter.Value);
        Assert.Equal(PumpData.Holding(0, 4), pump.Value);
    }

    [Fact]
    public async Task ReadHoldingRegisters_UnitNobodyHosts_TimesOut()
    {
        // pymodbus stays silent for a unit it does not host, on TCP as on a serial line.
        await Assert.ThrowsAsync<ModbusTimeoutException>(async () => await Master.ReadHoldingRegistersAsync(Absent, 0, 1, Ct));
    }
}

/// <summary>A pymodbus server and our master connected to it, shared by one test class.</summary>
public abstract class PymodbusServerFixture : IAsyncLifetime
{
    /// <summary>Generous for a live peer on a loaded machine; also how long a silent unit takes to time out.</summary>
    protected static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    internal PymodbusServer Server { get; private set; } = null!;

    internal ModbusMaster Master { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        try
        {
            (Server, Master) = await StartAsync(TestContext.Current.CancellationToken);
            await Master.ConnectAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private protected abstract Task<(PymodbusServer, ModbusMaster)> StartAsync(CancellationToken cancellationToken);

    public virtual async ValueTask DisposeAsync()
    {
        if (Master is not null)
        {
            await Master.DisposeAsync();
            Master = null!;
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
            Server = null!;
        }

        GC.SuppressFinalize(this);
    }
}

public sealed class MasterAgainstPymodbusTcpTests(MasterAgainstPymodbusTcpTests.Fixture fixture)
    : MasterAgainstPymodbusTests(fixture), IClassFixture<MasterAgainstPymodbusTcpTests.Fixture>
{
    [Fact]
    public async Task ReadHoldingRegisters_EightPipelinedOnOneConnection_EachGetsItsOwnAnswer()
    {
        await using var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions
        {
            Host = "127.0.0.1",
            Port = fixture.Server.Port,
            RequestTimeout = TimeSpan.FromSeconds(3),
            MaxRequestsInFlight = 8,
        });

        var reads = Enumerable.Range(0, 8)
            .Select(i => master.ReadHoldingRegistersAsync(i % 2 == 0 ? Meter : Pump, (ushort)i, 1, TestContext.Current.CancellationToken).AsTask());
        var results = await Task.WhenAll(reads);

        var expected = Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? MeterData : PumpData).HoldingRegisters[i]);
        Assert.Equal(expected, results.Select(r => r.Value[0]));
    }

    public sealed class Fixture : PymodbusServerFixture
    {
        private protected override async Task<(PymodbusServer, ModbusMaster)> StartAsync(CancellationToken cancellationToken)
        {
            var server = await PymodbusServer.StartTcpAsync(cancellationToken);
            var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = server.Port, RequestTimeout = RequestTimeout });
            return (server, master);
        }
    }
}

public sealed class MasterAgainstPymodbusRtuTests(MasterAgainstPymodbusRtuTests.Fixture fixture)
    : MasterAgainstPymodbusTests(fixture), IClassFixture<MasterAgainstPymodbusRtuTests.Fixture>
{
    public sealed class Fixture : PymodbusServerFixture
    {
        private PtyPair? _pty;

        private protected override async Task<(PymodbusServer, ModbusMaster)> StartAsync(CancellationToken cancellationToken)
        {
            _pty = await PtyPair.OpenAsync(cancellationToken);
            try
            {
                var server = await PymodbusServer.StartSerialAsync(_pty.PeerEnd, cancellationToken);
                var master = SerialLine.CreateMaster(_pty.OurLine, RequestTimeout);
                return (server, master);
            }
            catch
            {
                await _pty.DisposeAsync();
                _pty = null;
                throw;
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            if (_pty is not null)
            {
                await _pty.DisposeAsync();
                _pty = null;
            }
        }
    }
}

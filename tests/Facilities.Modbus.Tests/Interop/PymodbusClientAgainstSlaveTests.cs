using static Facilities.Modbus.Tests.Interop.InteropUnits;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>
/// pymodbus' client against our slave: every function code, exception responses, several units on one endpoint,
/// and 32-bit values encoded and decoded by pymodbus' BinaryPayloadBuilder / BinaryPayloadDecoder.
/// </summary>
public abstract class PymodbusClientAgainstSlaveTests(PymodbusClientFixture fixture)
{
    private const ushort SingleCoil = ScratchStart;
    private const ushort MultipleCoils = ScratchStart + 10;
    private const ushort SingleRegister = ScratchStart;
    private const ushort MultipleRegisters = ScratchStart + 10;
    private const ushort ReadWriteRegisters = ScratchStart + 20;
    private const ushort Written32Bit = ScratchStart + 30;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private protected HostedSlave Slave => fixture.Slave;

    private protected Task<PymodbusAnswer> SendAsync(object command) => fixture.Client.SendAsync(command, Ct);

    [Fact]
    public async Task ReadCoils_ThirteenFromMeter_MatchDeclaredBits()
    {
        var answer = await SendAsync(new { op = "read_coils", unit = Meter, address = 0, count = 13 });

        Assert.Equal(MeterData.CoilBits(0, 13), answer.Bits);
    }

    [Fact]
    public async Task ReadDiscreteInputs_TenFromMeter_MatchDeclaredBits()
    {
        var answer = await SendAsync(new { op = "read_discrete_inputs", unit = Meter, address = 0, count = 10 });

        Assert.Equal(MeterData.DiscreteInputBits(0, 10), answer.Bits);
    }

    [Fact]
    public async Task ReadHoldingRegisters_TenFromMeter_MatchDeclaredValues()
    {
        var answer = await SendAsync(new { op = "read_holding_registers", unit = Meter, address = 0, count = 10 });

        Assert.Equal(MeterData.Holding(0, 10), answer.Registers);
    }

    [Fact]
    public async Task ReadInputRegisters_TenFromMeter_MatchDeclaredValues()
    {
        var answer = await SendAsync(new { op = "read_input_registers", unit = Meter, address = 0, count = 10 });

        Assert.Equal(MeterData.Input(0, 10), answer.Registers);
    }

    [Fact]
    public async Task WriteSingleCoil_On_SlaveStoresIt()
    {
        var answer = await SendAsync(new { op = "write_coil", unit = Meter, address = SingleCoil, value = true });

        Assert.True(answer.Ok, answer.ToString());
        Assert.Equal([true], Slave.Unit(Meter).Coils(SingleCoil, 1));
    }

    [Fact]
    public async Task WriteSingleRegister_TopBitSet_SlaveStoresExactValue()
    {
        var answer = await SendAsync(new { op = "write_register", unit = Meter, address = SingleRegister, value = 0xBEEF });

        Assert.True(answer.Ok, answer.ToString());
        Assert.Equal([0xBEEF], Slave.Unit(Meter).Holding(SingleRegister, 1));
    }

    [Fact]
    public async Task WriteMultipleCoils_TenBitsAcrossTwoBytes_SlaveStoresEachBit()
    {
        bool[] bits = [true, false, true, true, false, false, true, false, true, true];

        var answer = await SendAsync(new { op = "write_coils", unit = Meter, address = MultipleCoils, values = bits });

        Assert.True(answer.Ok, answer.ToString());
        Assert.Equal(bits, Slave.Unit(Meter).Coils(MultipleCoils, bits.Length));
    }

    [Fact]
    public async Task WriteMultipleRegisters_ThreeValues_SlaveStoresThem()
    {
        ushort[] values = [1, 0x8000, 0xFFFF];

        var answer = await SendAsync(new { op = "write_registers", unit = Meter, address = MultipleRegisters, values });

        Assert.True(answer.Ok, answer.ToString());
        Assert.Equal(values, Slave.Unit(Meter).Holding(MultipleRegisters, values.Length));
    }

    [Fact]
    public async Task ReadWriteMultipleRegisters_OverlappingRanges_ReadsWhatWasJustWritten()
    {
        var answer = await SendAsync(new
        {
            op = "readwrite_registers", unit = Meter, read_address = ReadWriteRegisters - 1, read_count = 4,
            write_address = ReadWriteRegisters, values = new[] { 0x1111, 0x2222 },
        });

        Assert.Equal([0, 0x1111, 0x2222, 0], answer.Registers);
    }

    [Fact]
    public async Task ReadHoldingRegisters_MostOneRequestMayAskFor_MatchDeclaredValues()
    {
        var answer = await SendAsync(new { op = "read_holding_registers", unit = Meter, address = 0, count = MaxReadRegisters });

        Assert.Equal(MeterData.Holding(0, MaxReadRegisters), answer.Registers);
    }

    [Fact]
    public async Task WriteMultipleRegisters_MostOneRequestMayCarry_SlaveStoresThem()
    {
        var values = Enumerable.Range(0, MaxWriteRegisters).Select(i => (ushort)(0xA000 + i)).ToArray();

        var answer = await SendAsync(new { op = "write_registers", unit = Meter, address = LargeScratchStart, values });

        Assert.True(answer.Ok, answer.ToString());
        Assert.Equal(values, Slave.Unit(Meter).Holding(LargeScratchStart, values.Length));
    }

    [Fact]
    public async Task ReadHoldingRegisters_UndeclaredAddress_AnswersIllegalDataAddress()
    {
        var answer = await SendAsync(new { op = "read_holding_registers", unit = Meter, address = Undeclared, count = 2 });

        Assert.Equal(2, answer.Exception);
    }

    [Fact]
    public async Task WriteSingleCoil_UndeclaredAddress_AnswersIllegalDataAddress()
    {
        var answer = await SendAsync(new { op = "write_coil", unit = Meter, address = Undeclared, value = true });

        Assert.Equal(2, answer.Exception);
    }

    [Fact]
    public async Task ReadExceptionStatus_NotImplementedBySlave_AnswersIllegalFunction()
    {
        // Function 07: on a serial line our slave must find the end of a frame of unknown length by the silence after it.
        var answer = await SendAsync(new { op = "read_exception_status", unit = Meter });

        Assert.Equal(1, answer.Exception);
    }

    [Fact]
    public async Task ReadHoldingRegisters_BusyUnit_AnswersServerDeviceBusy()
    {
        var answer = await SendAsync(new { op = "read_holding_registers", unit = Busy, address = 0, count = 1 });

        Assert.Equal(6, answer.Exception);
    }

    [Fact]
    public async Task ReadHoldingRegisters_TwoUnitsOnOneEndpoint_EachAnswersWithItsOwnData()
    {
        var meter = await SendAsync(new { op = "read_holding_registers", unit = Meter, address = 0, count = 4 });
        var pump = await SendAsync(new { op = "read_holding_registers", unit = Pump, address = 0, count = 4 });

        Assert.Equal(MeterData.Holding(0, 4), meter.Registers);
        Assert.Equal(PumpData.Holding(0, 4), pump.Registers);
    }

    [Theory]
    [InlineData("read_int32", "big", Int32HighWordFirst, Int32Value)]
    [InlineData("read_int32", "little", Int32LowWordFirst, Int32Value)]
    [InlineData("read_float32", "big", FloatHighWordFirst, FloatValue)]
    [InlineData("read_float32", "little", NegativeFloatLowWordFirst, NegativeFloatValue)]
    public async Task Read32Bit_TwoHoldingRegisters_DecodesExactValue(string op, string wordOrder, ushort address, double expected)
    {
        var answer = await SendAsync(new { op, unit = Meter, table = "hr", address, word_order = wordOrder });

        Assert.Equal(expected, answer.Value);
    }

    [Fact]
    public async Task ReadFloat32_TwoInputRegisters_DecodesExactValue()
    {
        var answer = await SendAsync(new { op = "read_float32", unit = Meter, table = "ir", address = InputFloatHighWordFirst, word_order = "big" });

        Assert.Equal(InputFloatValue, answer.Value);
    }

    [Theory]
    [InlineData("write_int32", "big", Int32Value)]
    [InlineData("write_float32", "little", NegativeFloatValue)]
    public async Task Write32Bit_EncodedByPymodbus_SlaveHoldsBothWordsInOrder(string op, string wordOrder, double value)
    {
        var address = (ushort)(Written32Bit + (wordOrder == "big" ? 0 : 2));

        var answer = await SendAsync(new { op, unit = Meter, address, value, word_order = wordOrder });

        Assert.True(answer.Ok, answer.ToString());
        var expected = op == "write_int32"
            ? Words.FromInt32((int)value, wordOrder == "big")
            : Words.FromSingle((float)value, wordOrder == "big");
        Assert.Equal(expected, Slave.Unit(Meter).Holding(address, 2));
    }
}

/// <summary>Our slave on one transport and a pymodbus client connected to it, shared by one test class.</summary>
public abstract class PymodbusClientFixture(SlaveTransport transport) : IAsyncLifetime
{
    internal HostedSlave Slave { get; private set; } = null!;

    internal PymodbusClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Slave = await HostedSlave.StartAsync(transport, TestContext.Current.CancellationToken);
        try
        {
            Client = await PymodbusClient.ConnectAsync(Slave, TestContext.Current.CancellationToken);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
            Client = null!;
        }

        if (Slave is not null)
        {
            await Slave.DisposeAsync();
            Slave = null!;
        }

        GC.SuppressFinalize(this);
    }
}

public sealed class PymodbusClientOverTcpTests(PymodbusClientOverTcpTests.Fixture fixture)
    : PymodbusClientAgainstSlaveTests(fixture), IClassFixture<PymodbusClientOverTcpTests.Fixture>
{
    [Fact]
    public async Task ReadHoldingRegisters_UnitNobodyHosts_AnswersGatewayPathUnavailable()
    {
        var answer = await SendAsync(new { op = "read_holding_registers", unit = Absent, address = 0, count = 1 });

        Assert.Equal(10, answer.Exception);
    }

    public sealed class Fixture() : PymodbusClientFixture(SlaveTransport.Tcp);
}

public sealed class PymodbusClientRtuOverTcpTests(PymodbusClientRtuOverTcpTests.Fixture fixture)
    : PymodbusClientAgainstSlaveTests(fixture), IClassFixture<PymodbusClientRtuOverTcpTests.Fixture>
{
    [Fact]
    public async Task ReadHoldingRegisters_UnitNobodyHosts_GetsNoReply()
    {
        // An RTU line stays silent, so another device on it could answer; pymodbus times out after one second.
        var answer = await SendAsync(new { op = "read_holding_registers", unit = Absent, address = 0, count = 1, timeout = 1 });

        Assert.Contains("No response", answer.Error, StringComparison.Ordinal);
    }

    public sealed class Fixture() : PymodbusClientFixture(SlaveTransport.RtuOverTcp);
}

public sealed class PymodbusClientOnPtyTests(PymodbusClientOnPtyTests.Fixture fixture)
    : PymodbusClientAgainstSlaveTests(fixture), IClassFixture<PymodbusClientOnPtyTests.Fixture>
{
    [Fact]
    public async Task ReadHoldingRegisters_UnitNobodyHosts_GetsNoReply()
    {
        var answer = await SendAsync(new { op = "read_holding_registers", unit = Absent, address = 0, count = 1, timeout = 1 });

        Assert.Contains("No response", answer.Error, StringComparison.Ordinal);
    }

    public sealed class Fixture() : PymodbusClientFixture(SlaveTransport.RtuOnPty);
}

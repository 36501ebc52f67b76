using System.Globalization;
using static Facilities.Modbus.Tests.Interop.InteropUnits;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>
/// libmodbus (through mbpoll) against our slave: function codes 1-6, 15 and 16 (mbpoll has no 23), exception
/// responses, several units polled in one run, and 32-bit integers and floats in both word orders. Each test also
/// checks the function code of the frame mbpoll sent, so a test cannot pass on a different function than it names.
/// </summary>
public abstract class MbpollAgainstSlaveTests(MbpollFixture fixture)
{
    private const ushort SingleCoil = ScratchStart;
    private const ushort MultipleCoils = ScratchStart + 10;
    private const ushort SingleRegister = ScratchStart;
    private const ushort MultipleRegisters = ScratchStart + 10;
    private const ushort Written32Bit = ScratchStart + 40;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private protected HostedSlave Slave => fixture.Slave;

    private protected Task<MbpollRun> ReadAsync(params string[] options) => Mbpoll.RunAsync(Slave, options, null, Ct);

    private Task<MbpollRun> WriteAsync(string[] options, params string[] values) => Mbpoll.RunAsync(Slave, options, values, Ct);

    [Fact]
    public async Task ReadCoils_ThirteenFromMeter_MatchDeclaredBits()
    {
        var run = await ReadAsync("-a", "1", "-t", "0", "-r", "0", "-c", "13");

        Assert.Equal(Ints(MeterData.Coils[..13]), run.IntegersOf(Meter));
        Assert.Equal([(byte)0x01], run.SentFunctionCodes);
    }

    [Fact]
    public async Task ReadDiscreteInputs_TenFromMeter_MatchDeclaredBits()
    {
        var run = await ReadAsync("-a", "1", "-t", "1", "-r", "0", "-c", "10");

        Assert.Equal(Ints(MeterData.DiscreteInputs[..10]), run.IntegersOf(Meter));
        Assert.Equal([(byte)0x02], run.SentFunctionCodes);
    }

    [Fact]
    public async Task ReadHoldingRegisters_TenFromMeter_MatchDeclaredValues()
    {
        var run = await ReadAsync("-a", "1", "-t", "4", "-r", "0", "-c", "10");

        Assert.Equal(Ints(MeterData.Holding(0, 10)), run.IntegersOf(Meter));
        Assert.Equal([(byte)0x03], run.SentFunctionCodes);
    }

    [Fact]
    public async Task ReadInputRegisters_TenFromMeter_MatchDeclaredValues()
    {
        var run = await ReadAsync("-a", "1", "-t", "3", "-r", "0", "-c", "10");

        Assert.Equal(Ints(MeterData.Input(0, 10)), run.IntegersOf(Meter));
        Assert.Equal([(byte)0x04], run.SentFunctionCodes);
    }

    [Fact]
    public async Task ReadHoldingRegisters_MostOneRequestMayAskFor_MatchDeclaredValues()
    {
        var run = await ReadAsync("-a", "1", "-t", "4", "-r", "0", "-c", Text(MaxReadRegisters));

        Assert.Equal(Ints(MeterData.Holding(0, MaxReadRegisters)), run.IntegersOf(Meter));
    }

    [Fact]
    public async Task WriteSingleCoil_On_SlaveStoresIt()
    {
        var run = await WriteAsync(["-a", "1", "-t", "0", "-r", Text(SingleCoil)], "1");

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal([true], Slave.Unit(Meter).Coils(SingleCoil, 1));
        Assert.Equal([(byte)0x05], run.SentFunctionCodes);
    }

    [Fact]
    public async Task WriteSingleRegister_TopBitSet_SlaveStoresExactValue()
    {
        var run = await WriteAsync(["-a", "1", "-t", "4", "-r", Text(SingleRegister)], "48879");

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal([0xBEEF], Slave.Unit(Meter).Holding(SingleRegister, 1));
        Assert.Equal([(byte)0x06], run.SentFunctionCodes);
    }

    [Fact]
    public async Task WriteMultipleCoils_TenBitsAcrossTwoBytes_SlaveStoresEachBit()
    {
        bool[] bits = [true, false, true, true, false, false, true, false, true, true];

        var run = await WriteAsync(["-a", "1", "-t", "0", "-r", Text(MultipleCoils)], [.. bits.Select(b => b ? "1" : "0")]);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal(bits, Slave.Unit(Meter).Coils(MultipleCoils, bits.Length));
        Assert.Equal([(byte)0x0F], run.SentFunctionCodes);
    }

    [Fact]
    public async Task WriteMultipleRegisters_ThreeValues_SlaveStoresThem()
    {
        var run = await WriteAsync(["-a", "1", "-t", "4", "-r", Text(MultipleRegisters)], "1", "32768", "65535");

        Assert.True(run.Succeeded, run.ToString());
        Assert.Equal([1, 0x8000, 0xFFFF], Slave.Unit(Meter).Holding(MultipleRegisters, 3));
        Assert.Equal([(byte)0x10], run.SentFunctionCodes);
    }

    [Fact]
    public async Task ReadHoldingRegisters_UndeclaredAddress_ReportsIllegalDataAddress()
    {
        var run = await ReadAsync("-a", "1", "-t", "4", "-r", Text(Undeclared), "-c", "2");

        Assert.Contains("Illegal data address", run.Run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteSingleRegister_UndeclaredAddress_ReportsIllegalDataAddress()
    {
        var run = await WriteAsync(["-a", "1", "-t", "4", "-r", Text(Undeclared)], "5");

        Assert.Contains("Illegal data address", run.Run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadHoldingRegisters_BusyUnit_ReportsDeviceBusy()
    {
        var run = await ReadAsync("-a", Text(Busy), "-t", "4", "-r", "0", "-c", "1");

        Assert.Contains("Slave device or server is busy", run.Run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadHoldingRegisters_TwoUnitsInOneRun_EachAnswersWithItsOwnData()
    {
        var run = await ReadAsync("-a", $"{Meter},{Pump}", "-t", "4", "-r", "0", "-c", "4");

        Assert.Equal(Ints(MeterData.Holding(0, 4)), run.IntegersOf(Meter));
        Assert.Equal(Ints(PumpData.Holding(0, 4)), run.IntegersOf(Pump));
    }

    [Theory]
    [InlineData("4:int", true, Int32HighWordFirst, Int32Value)]
    [InlineData("4:int", false, Int32LowWordFirst, Int32Value)]
    [InlineData("4:float", true, FloatHighWordFirst, FloatValue)]
    [InlineData("4:float", false, NegativeFloatLowWordFirst, NegativeFloatValue)]
    [InlineData("3:float", true, InputFloatHighWordFirst, InputFloatValue)]
    public async Task Read32Bit_TwoRegisters_DecodesExactValue(string type, bool highWordFirst, ushort address, double expected)
    {
        string[] options = ["-a", "1", "-t", type, "-r", Text(address), "-c", "1"];

        var run = await ReadAsync(highWordFirst ? [.. options, "-B"] : options);

        var printed = Assert.Single(run.ValuesOf(Meter));
        Assert.Equal(expected, double.Parse(printed.Text, CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("4:int", true, Int32Value)]
    [InlineData("4:float", false, NegativeFloatValue)]
    public async Task Write32Bit_EncodedByLibmodbus_SlaveHoldsBothWordsInOrder(string type, bool highWordFirst, double value)
    {
        var address = (ushort)(Written32Bit + (highWordFirst ? 0 : 2));
        string[] options = ["-a", "1", "-t", type, "-r", Text(address)];

        var run = await WriteAsync(highWordFirst ? [.. options, "-B"] : options, value.ToString(CultureInfo.InvariantCulture));

        Assert.True(run.Succeeded, run.ToString());
        var expected = type == "4:int" ? Words.FromInt32((int)value, highWordFirst) : Words.FromSingle((float)value, highWordFirst);
        Assert.Equal(expected, Slave.Unit(Meter).Holding(address, 2));
    }

    private static int[] Ints(ushort[] values) => [.. values.Select(v => (int)v)];

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Our slave on one transport, polled by a fresh mbpoll process in each test.</summary>
public abstract class MbpollFixture(SlaveTransport transport) : IAsyncLifetime
{
    internal HostedSlave Slave { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        InteropTools.Require(InteropTools.Mbpoll);
        Slave = await HostedSlave.StartAsync(transport, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Slave is not null)
        {
            await Slave.DisposeAsync();
            Slave = null!;
        }

        GC.SuppressFinalize(this);
    }
}

public sealed class MbpollOverTcpTests(MbpollOverTcpTests.Fixture fixture)
    : MbpollAgainstSlaveTests(fixture), IClassFixture<MbpollOverTcpTests.Fixture>
{
    [Fact]
    public async Task ReadHoldingRegisters_UnitNobodyHosts_ReportsGatewayPathUnavailable()
    {
        var run = await ReadAsync("-a", Absent.ToString(CultureInfo.InvariantCulture), "-t", "4", "-r", "0", "-c", "1");

        Assert.Contains("Gateway path unavailable", run.Run.Stderr, StringComparison.Ordinal);
    }

    public sealed class Fixture() : MbpollFixture(SlaveTransport.Tcp);
}

public sealed class MbpollOnPtyTests(MbpollOnPtyTests.Fixture fixture)
    : MbpollAgainstSlaveTests(fixture), IClassFixture<MbpollOnPtyTests.Fixture>
{
    [Fact]
    public async Task ReadHoldingRegisters_UnitNobodyHostsBetweenTwoThatDo_OnlyItTimesOut()
    {
        // The timeout must leave the live units time to answer, or their late answers would greet the next mbpoll.
        var run = await Mbpoll.RunAsync(Slave, ["-a", $"{Meter},{Absent},{Pump}", "-t", "4", "-r", "0", "-c", "1"], null, TestContext.Current.CancellationToken, timeout: "1.5");

        Assert.Contains("Connection timed out", run.Run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.IntegersOf(Absent));
        Assert.Equal([(int)MeterData.HoldingRegisters[0]], run.IntegersOf(Meter));
        Assert.Equal([(int)PumpData.HoldingRegisters[0]], run.IntegersOf(Pump));
    }

    [Fact]
    public async Task ReportServerId_NotImplementedBySlave_ReportsIllegalFunction()
    {
        // Function 17 (mbpoll -u, serial only): our slave finds the end of a frame it cannot size by the silence after it.
        var run = await Mbpoll.RunAsync(Slave, ["-a", "1", "-u"], null, TestContext.Current.CancellationToken);

        Assert.Contains("Illegal function", run.Run.Stderr, StringComparison.Ordinal);
        Assert.Equal([(byte)0x11], run.SentFunctionCodes);
    }

    public sealed class Fixture() : MbpollFixture(SlaveTransport.RtuOnPty);
}

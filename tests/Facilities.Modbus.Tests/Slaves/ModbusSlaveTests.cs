using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.Modbus.Tests.Slaves;

public sealed class ModbusSlaveTests
{
    private readonly RegisterStore _store = new RegisterStore()
        .Declare(RegisterTable.Coils, 0, 16)
        .Declare(RegisterTable.DiscreteInputs, 0, 16)
        .Declare(RegisterTable.InputRegisters, 0, 10)
        .Declare(RegisterTable.HoldingRegisters, 0, 10)
        .Declare(RegisterTable.HoldingRegisters, 20, 5);

    private readonly ModbusSlave _slave = new();

    public ModbusSlaveTests() => _slave.Add(1, _store);

    private byte[] Handle(byte unit, bool serial, params byte[] request)
    {
        var response = new byte[253];
        var length = _slave.Handle(unit, request, response, serial);
        return response[..length];
    }

    [Fact]
    public void Handle_ReadHolding_ReturnsBigEndianWords()
    {
        _store.Set(RegisterTable.HoldingRegisters, 1, 0x1234, 0xABCD);
        Assert.Equal([0x03, 4, 0x12, 0x34, 0xAB, 0xCD], Handle(1, false, 0x03, 0, 1, 0, 2));
    }

    [Fact]
    public void Handle_ReadAcrossHoleInMap_IsIllegalDataAddress()
    {
        // 0..9 and 20..24 exist; 8..21 crosses the hole.
        Assert.Equal([0x83, 2], Handle(1, false, 0x03, 0, 8, 0, 14));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(126)]
    public void Handle_ReadQuantityOutsideLimits_IsIllegalDataValue(int count) =>
        Assert.Equal([0x83, 3], Handle(1, false, 0x03, 0, 0, (byte)(count >> 8), (byte)count));

    [Fact]
    public void Handle_UnknownFunction_IsIllegalFunction() =>
        Assert.Equal([0xAB, 1], Handle(1, false, 0x2B, 0x0E, 1, 0));

    [Fact]
    public void Handle_WriteToInputTableFunctionMissing_ReadCoilsPacksLsbFirst()
    {
        _store.SetBit(RegisterTable.Coils, 0, true);
        _store.SetBit(RegisterTable.Coils, 9, true);
        Assert.Equal([0x01, 2, 0x01, 0x02], Handle(1, false, 0x01, 0, 0, 0, 10));
    }

    [Fact]
    public void Handle_WriteSingleCoilWithBadValue_IsIllegalDataValue() =>
        Assert.Equal([0x85, 3], Handle(1, false, 0x05, 0, 1, 0x12, 0x34));

    [Fact]
    public void Handle_WriteMultipleRegisters_EchoesAndStores()
    {
        Assert.Equal([0x10, 0, 2, 0, 2], Handle(1, false, 0x10, 0, 2, 0, 2, 4, 0, 7, 0, 8));
        Assert.Equal(7, _store.Get(RegisterTable.HoldingRegisters, 2));
        Assert.Equal(8, _store.Get(RegisterTable.HoldingRegisters, 3));
    }

    [Fact]
    public void Handle_WriteMultipleRegistersWithLyingByteCount_IsIllegalDataValue() =>
        Assert.Equal([0x90, 3], Handle(1, false, 0x10, 0, 2, 0, 2, 6, 0, 7, 0, 8));

    [Fact]
    public void Handle_ReadWriteMultiple_WritesBeforeReading()
    {
        var response = Handle(1, false, 0x17, 0, 4, 0, 1, 0, 4, 0, 1, 2, 0x55, 0x66);
        Assert.Equal([0x17, 2, 0x55, 0x66], response);
    }

    [Fact]
    public void Handle_UnknownUnitOnTcp_IsGatewayPathUnavailable() =>
        Assert.Equal([0x83, 10], Handle(9, false, 0x03, 0, 0, 0, 1));

    [Fact]
    public void Handle_UnknownUnitOnSerial_IsSilent() =>
        Assert.Empty(Handle(9, true, 0x03, 0, 0, 0, 1));

    [Fact]
    public void Handle_OfflineUnit_IsSilent()
    {
        _slave.Find(1)!.Online = false;
        Assert.Empty(Handle(1, false, 0x03, 0, 0, 0, 1));
    }

    [Fact]
    public void Handle_ForcedBusy_AnswersBusy()
    {
        _slave.Find(1)!.ForcedException = ModbusExceptionCode.ServerDeviceBusy;
        Assert.Equal([0x83, 6], Handle(1, false, 0x03, 0, 0, 0, 1));
    }

    [Fact]
    public void Handle_SerialBroadcastWrite_ReachesEveryUnitSilently()
    {
        var second = new RegisterStore().Declare(RegisterTable.HoldingRegisters, 0, 10);
        _slave.Add(2, second);
        Assert.Empty(Handle(0, true, 0x06, 0, 5, 0x01, 0x02));
        Assert.Equal(0x0102, _store.Get(RegisterTable.HoldingRegisters, 5));
        Assert.Equal(0x0102, second.Get(RegisterTable.HoldingRegisters, 5));
    }

    [Fact]
    public void Handle_WriteRefusedByValidator_ReturnsItsCodeAndKeepsValue()
    {
        _store.ValidateWrite = (_, _, values) => values[0] > 100 ? ModbusExceptionCode.IllegalDataValue : ModbusExceptionCode.None;
        Assert.Equal([0x86, 3], Handle(1, false, 0x06, 0, 0, 0x01, 0x00));
        Assert.Equal(0, _store.Get(RegisterTable.HoldingRegisters, 0));
    }
}

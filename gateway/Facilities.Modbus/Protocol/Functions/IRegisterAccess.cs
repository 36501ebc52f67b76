namespace Facilities.Modbus.Protocol.Functions;

/// <summary>What a slave's data model offers to the PDU handlers. Each call is atomic.</summary>
public interface IRegisterAccess
{
    ModbusExceptionCode ReadBits(RegisterTable table, ushort address, Span<bool> destination);

    ModbusExceptionCode ReadRegisters(RegisterTable table, ushort address, Span<ushort> destination);

    ModbusExceptionCode WriteCoils(ushort address, ReadOnlySpan<bool> values);

    ModbusExceptionCode WriteHoldingRegisters(ushort address, ReadOnlySpan<ushort> values);

    /// <summary>Function 23: the write happens before the read, both in one atomic step.</summary>
    ModbusExceptionCode WriteThenReadHoldingRegisters(ushort writeAddress, ReadOnlySpan<ushort> values, ushort readAddress, Span<ushort> destination);
}

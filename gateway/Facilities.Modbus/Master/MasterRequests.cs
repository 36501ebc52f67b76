using Facilities.Modbus.Protocol;
using Facilities.Modbus.Protocol.Functions;

namespace Facilities.Modbus.Master;

/// <summary>
/// One request of <see cref="ModbusMaster"/>: how its PDU is written and how the response is checked and read. The
/// implementations are structs so the master's one exchange path is compiled per function and allocates nothing.
/// </summary>
internal interface IMasterRequest
{
    FunctionCode Function { get; }

    int WriteRequest(Span<byte> pdu);

    /// <summary>Checks <paramref name="response"/> and reads its data; <paramref name="request"/> is the PDU as sent (a write's response echoes it).</summary>
    FrameError ParseResponse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, out ModbusExceptionCode exception);
}

/// <summary>01 Read Coils and 02 Read Discrete Inputs into <see cref="Destination"/>.</summary>
internal readonly record struct ReadBitsRequest(FunctionCode Function, ushort Address, Memory<bool> Destination) : IMasterRequest
{
    public int WriteRequest(Span<byte> pdu) => ReadBits.WriteRequest(pdu, Function, Address, (ushort)Destination.Length);

    public FrameError ParseResponse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        ReadBits.ParseResponse(response, Function, Destination.Span, out exception);
}

/// <summary>03 Read Holding Registers and 04 Read Input Registers into <see cref="Destination"/>.</summary>
internal readonly record struct ReadRegistersRequest(FunctionCode Function, ushort Address, Memory<ushort> Destination) : IMasterRequest
{
    public int WriteRequest(Span<byte> pdu) => ReadRegisters.WriteRequest(pdu, Function, Address, (ushort)Destination.Length);

    public FrameError ParseResponse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        ReadRegisters.ParseResponse(response, Function, Destination.Span, out exception);
}

internal readonly record struct WriteSingleCoilRequest(ushort Address, bool Value) : IMasterRequest
{
    public FunctionCode Function => FunctionCode.WriteSingleCoil;

    public int WriteRequest(Span<byte> pdu) => WriteSingleCoil.WriteRequest(pdu, Address, Value);

    public FrameError ParseResponse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        WriteSingleCoil.ParseResponse(response, request, out exception);
}

internal readonly record struct WriteSingleRegisterRequest(ushort Address, ushort Value) : IMasterRequest
{
    public FunctionCode Function => FunctionCode.WriteSingleRegister;

    public int WriteRequest(Span<byte> pdu) => WriteSingleRegister.WriteRequest(pdu, Address, Value);

    public FrameError ParseResponse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        WriteSingleRegister.ParseResponse(response, request, out exception);
}

internal readonly record struct WriteMultipleCoilsRequest(ushort Address, ReadOnlyMemory<bool> Values) : IMasterRequest
{
    public FunctionCode Function => FunctionCode.WriteMultipleCoils;

    public int WriteRequest(Span<byte> pdu) => WriteMultipleCoils.WriteRequest(pdu, Address, Values.Span);

    public FrameError ParseResponse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        WriteMultipleCoils.ParseResponse(response, request, out exception);
}

internal readonly record struct WriteMultipleRegistersRequest(ushort Address, ReadOnlyMemory<ushort> Values) : IMasterRequest
{
    public FunctionCode Function => FunctionCode.WriteMultipleRegisters;

    public int WriteRequest(Span<byte> pdu) => WriteMultipleRegisters.WriteRequest(pdu, Address, Values.Span);

    public FrameError ParseResponse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        WriteMultipleRegisters.ParseResponse(response, request, out exception);
}

/// <summary>23 Read/Write Multiple Registers: writes <see cref="Values"/>, then reads into <see cref="Destination"/>.</summary>
internal readonly record struct ReadWriteMultipleRegistersRequest(
    ushort ReadAddress, Memory<ushort> Destination, ushort WriteAddress, ReadOnlyMemory<ushort> Values) : IMasterRequest
{
    public FunctionCode Function => FunctionCode.ReadWriteMultipleRegisters;

    public int WriteRequest(Span<byte> pdu) =>
        ReadWriteMultipleRegisters.WriteRequest(pdu, ReadAddress, (ushort)Destination.Length, WriteAddress, Values.Span);

    public FrameError ParseResponse(ReadOnlySpan<byte> response, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        ReadWriteMultipleRegisters.ParseResponse(response, Destination.Span, out exception);
}

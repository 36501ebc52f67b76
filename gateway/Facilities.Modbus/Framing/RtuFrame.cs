using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Framing;

/// <summary>
/// RTU frames are unit id + PDU + CRC with no length field, so a reader predicts a frame's length from its first
/// bytes, the way libmodbus does, instead of trusting OS timing. Unknown function codes fall back to silence.
/// </summary>
public static class RtuFrame
{
    public const int MinLength = 4;
    public const int ExceptionLength = 5;

    /// <summary>Bytes needed before <see cref="RequestLength"/> or <see cref="ResponseLength"/> can answer.</summary>
    public static int BytesToPredict(byte function, bool request) => (function, request) switch
    {
        ((byte)FunctionCode.WriteMultipleCoils or (byte)FunctionCode.WriteMultipleRegisters, true) => 7,
        ((byte)FunctionCode.ReadWriteMultipleRegisters, true) => 11,
        (_, true) => 2,
        (_, false) when (function & Pdu.ExceptionFlag) != 0 => 2,
        ((byte)FunctionCode.ReadCoils or (byte)FunctionCode.ReadDiscreteInputs or (byte)FunctionCode.ReadHoldingRegisters
            or (byte)FunctionCode.ReadInputRegisters or (byte)FunctionCode.ReadWriteMultipleRegisters, false) => 3,
        _ => 2,
    };

    /// <summary>Total length of a request frame whose first bytes are <paramref name="head"/>; -1 if the function is unknown.</summary>
    public static int RequestLength(ReadOnlySpan<byte> head) => head[1] switch
    {
        (byte)FunctionCode.ReadCoils or (byte)FunctionCode.ReadDiscreteInputs or (byte)FunctionCode.ReadHoldingRegisters
            or (byte)FunctionCode.ReadInputRegisters or (byte)FunctionCode.WriteSingleCoil
            or (byte)FunctionCode.WriteSingleRegister => 8,
        (byte)FunctionCode.WriteMultipleCoils or (byte)FunctionCode.WriteMultipleRegisters => 9 + head[6],
        (byte)FunctionCode.ReadWriteMultipleRegisters => 13 + head[10],
        _ => -1,
    };

    /// <summary>Total length of a response frame whose first bytes are <paramref name="head"/>; -1 if the function is unknown.</summary>
    public static int ResponseLength(ReadOnlySpan<byte> head)
    {
        var function = head[1];
        if ((function & Pdu.ExceptionFlag) != 0)
        {
            return ExceptionLength;
        }

        return function switch
        {
            (byte)FunctionCode.ReadCoils or (byte)FunctionCode.ReadDiscreteInputs or (byte)FunctionCode.ReadHoldingRegisters
                or (byte)FunctionCode.ReadInputRegisters or (byte)FunctionCode.ReadWriteMultipleRegisters => 5 + head[2],
            (byte)FunctionCode.WriteSingleCoil or (byte)FunctionCode.WriteSingleRegister
                or (byte)FunctionCode.WriteMultipleCoils or (byte)FunctionCode.WriteMultipleRegisters => 8,
            _ => -1,
        };
    }

    public static int WriteFrame(Span<byte> frame, byte unit, ReadOnlySpan<byte> pdu)
    {
        frame[0] = unit;
        pdu.CopyTo(frame[1..]);
        return Crc16.Append(frame, 1 + pdu.Length);
    }
}

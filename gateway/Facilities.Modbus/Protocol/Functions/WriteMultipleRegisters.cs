namespace Facilities.Modbus.Protocol.Functions;

/// <summary>16 Write Multiple Registers: request (address, quantity 1..123, byte count, words); response (address, quantity).</summary>
internal static class WriteMultipleRegisters
{
    public static int WriteRequest(Span<byte> pdu, ushort address, ReadOnlySpan<ushort> values)
    {
        Pdu.WriteAddressAndWord(pdu, FunctionCode.WriteMultipleRegisters, address, (ushort)values.Length);
        pdu[5] = (byte)(2 * values.Length);
        Pdu.WriteRegisters(values, pdu[6..]);
        return 6 + (2 * values.Length);
    }

    public static FrameError ParseResponse(ReadOnlySpan<byte> pdu, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        WriteEcho.Check(pdu, request, FunctionCode.WriteMultipleRegisters, out exception);

    public static int Serve(ReadOnlySpan<byte> request, Span<byte> response, IRegisterAccess registers)
    {
        var function = request[0];
        if (request.Length < 6)
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        var address = Pdu.U16(request, 1);
        var count = Pdu.U16(request, 3);
        var byteCount = request[5];
        if (count is 0 or > ModbusLimits.MaxWriteRegisters || byteCount != 2 * count || request.Length != 6 + byteCount)
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        if (!Pdu.FitsAddressSpace(address, count))
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataAddress);
        }

        Span<ushort> words = stackalloc ushort[count];
        Pdu.ReadRegisters(request[6..], words);
        var code = registers.WriteHoldingRegisters(address, words);
        return code != ModbusExceptionCode.None ? Pdu.WriteException(response, function, code) : WriteEcho.Echo(request, response);
    }
}

namespace Facilities.Modbus.Protocol.Functions;

/// <summary>15 Write Multiple Coils: request (address, quantity 1..1968, byte count, packed bits); response (address, quantity).</summary>
internal static class WriteMultipleCoils
{
    public static int WriteRequest(Span<byte> pdu, ushort address, ReadOnlySpan<bool> values)
    {
        var byteCount = Pdu.BitByteCount(values.Length);
        Pdu.WriteAddressAndWord(pdu, FunctionCode.WriteMultipleCoils, address, (ushort)values.Length);
        pdu[5] = (byte)byteCount;
        Pdu.PackBits(values, pdu[6..]);
        return 6 + byteCount;
    }

    public static FrameError ParseResponse(ReadOnlySpan<byte> pdu, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        WriteEcho.Check(pdu, request, FunctionCode.WriteMultipleCoils, out exception);

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
        if (count is 0 or > ModbusLimits.MaxWriteBits || byteCount != Pdu.BitByteCount(count) || request.Length != 6 + byteCount)
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        if (!Pdu.FitsAddressSpace(address, count))
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataAddress);
        }

        Span<bool> bits = stackalloc bool[count];
        Pdu.UnpackBits(request[6..], bits);
        var code = registers.WriteCoils(address, bits);
        return code != ModbusExceptionCode.None ? Pdu.WriteException(response, function, code) : WriteEcho.Echo(request, response);
    }
}

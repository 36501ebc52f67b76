namespace Facilities.Modbus.Protocol.Functions;

/// <summary>
/// 23 Read/Write Multiple Registers: request (read address, read quantity 1..125, write address, write quantity 1..121,
/// byte count, words); response (byte count, words read). The write is performed before the read.
/// </summary>
internal static class ReadWriteMultipleRegisters
{
    public static int WriteRequest(Span<byte> pdu, ushort readAddress, ushort readCount, ushort writeAddress, ReadOnlySpan<ushort> values)
    {
        pdu[0] = (byte)FunctionCode.ReadWriteMultipleRegisters;
        Pdu.U16(pdu, 1, readAddress);
        Pdu.U16(pdu, 3, readCount);
        Pdu.U16(pdu, 5, writeAddress);
        Pdu.U16(pdu, 7, (ushort)values.Length);
        pdu[9] = (byte)(2 * values.Length);
        Pdu.WriteRegisters(values, pdu[10..]);
        return 10 + (2 * values.Length);
    }

    public static FrameError ParseResponse(ReadOnlySpan<byte> pdu, Span<ushort> destination, out ModbusExceptionCode exception)
    {
        var error = Pdu.CheckFunction(pdu, FunctionCode.ReadWriteMultipleRegisters, out exception);
        return error != FrameError.None || exception != ModbusExceptionCode.None
            ? error
            : ReadRegisters.ParseWords(pdu, destination);
    }

    public static int Serve(ReadOnlySpan<byte> request, Span<byte> response, IRegisterAccess registers)
    {
        var function = request[0];
        if (request.Length < 10)
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        var readAddress = Pdu.U16(request, 1);
        var readCount = Pdu.U16(request, 3);
        var writeAddress = Pdu.U16(request, 5);
        var writeCount = Pdu.U16(request, 7);
        var byteCount = request[9];
        if (readCount is 0 or > ModbusLimits.MaxReadWriteReadRegisters
            || writeCount is 0 or > ModbusLimits.MaxReadWriteWriteRegisters
            || byteCount != 2 * writeCount
            || request.Length != 10 + byteCount)
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        if (!Pdu.FitsAddressSpace(readAddress, readCount) || !Pdu.FitsAddressSpace(writeAddress, writeCount))
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataAddress);
        }

        Span<ushort> written = stackalloc ushort[writeCount];
        Pdu.ReadRegisters(request[10..], written);
        Span<ushort> read = stackalloc ushort[readCount];
        var code = registers.WriteThenReadHoldingRegisters(writeAddress, written, readAddress, read);
        return code != ModbusExceptionCode.None
            ? Pdu.WriteException(response, function, code)
            : ReadRegisters.WriteWords(response, function, read);
    }
}

namespace Facilities.Modbus.Protocol.Functions;

/// <summary>01 Read Coils and 02 Read Discrete Inputs: request (address, quantity 1..2000); response (byte count, packed bits).</summary>
internal static class ReadBits
{
    public static int WriteRequest(Span<byte> pdu, FunctionCode function, ushort address, ushort count) =>
        Pdu.WriteAddressAndWord(pdu, function, address, count);

    public static FrameError ParseResponse(ReadOnlySpan<byte> pdu, FunctionCode function, Span<bool> destination, out ModbusExceptionCode exception)
    {
        var error = Pdu.CheckFunction(pdu, function, out exception);
        if (error != FrameError.None || exception != ModbusExceptionCode.None)
        {
            return error;
        }

        var byteCount = Pdu.BitByteCount(destination.Length);
        if (pdu[1] != byteCount)
        {
            return FrameError.BadByteCount;
        }

        if (pdu.Length != 2 + byteCount)
        {
            return FrameError.BadLength;
        }

        Pdu.UnpackBits(pdu[2..], destination);
        return FrameError.None;
    }

    public static int Serve(ReadOnlySpan<byte> request, Span<byte> response, IRegisterAccess registers)
    {
        var function = request[0];
        if (!Pdu.TryReadAddressAndWord(request, out var address, out var count) || count is 0 or > ModbusLimits.MaxReadBits)
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        if (!Pdu.FitsAddressSpace(address, count))
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataAddress);
        }

        Span<bool> bits = stackalloc bool[count];
        var table = function == (byte)FunctionCode.ReadCoils ? RegisterTable.Coils : RegisterTable.DiscreteInputs;
        var code = registers.ReadBits(table, address, bits);
        if (code != ModbusExceptionCode.None)
        {
            return Pdu.WriteException(response, function, code);
        }

        var byteCount = Pdu.BitByteCount(count);
        response[0] = function;
        response[1] = (byte)byteCount;
        Pdu.PackBits(bits, response[2..]);
        return 2 + byteCount;
    }
}

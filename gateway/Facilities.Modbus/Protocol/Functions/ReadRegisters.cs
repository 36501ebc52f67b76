namespace Facilities.Modbus.Protocol.Functions;

/// <summary>03 Read Holding Registers and 04 Read Input Registers: request (address, quantity 1..125); response (byte count, big-endian words).</summary>
internal static class ReadRegisters
{
    public static int WriteRequest(Span<byte> pdu, FunctionCode function, ushort address, ushort count) =>
        Pdu.WriteAddressAndWord(pdu, function, address, count);

    public static FrameError ParseResponse(ReadOnlySpan<byte> pdu, FunctionCode function, Span<ushort> destination, out ModbusExceptionCode exception)
    {
        var error = Pdu.CheckFunction(pdu, function, out exception);
        return error != FrameError.None || exception != ModbusExceptionCode.None
            ? error
            : ParseWords(pdu, destination);
    }

    /// <summary>Shared with function 23, whose response has the same shape.</summary>
    public static FrameError ParseWords(ReadOnlySpan<byte> pdu, Span<ushort> destination)
    {
        if (pdu[1] != 2 * destination.Length)
        {
            return FrameError.BadByteCount;
        }

        if (pdu.Length != 2 + (2 * destination.Length))
        {
            return FrameError.BadLength;
        }

        Pdu.ReadRegisters(pdu[2..], destination);
        return FrameError.None;
    }

    public static int Serve(ReadOnlySpan<byte> request, Span<byte> response, IRegisterAccess registers)
    {
        var function = request[0];
        if (!Pdu.TryReadAddressAndWord(request, out var address, out var count) || count is 0 or > ModbusLimits.MaxReadRegisters)
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        if (!Pdu.FitsAddressSpace(address, count))
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataAddress);
        }

        Span<ushort> words = stackalloc ushort[count];
        var table = function == (byte)FunctionCode.ReadHoldingRegisters ? RegisterTable.HoldingRegisters : RegisterTable.InputRegisters;
        var code = registers.ReadRegisters(table, address, words);
        return code != ModbusExceptionCode.None
            ? Pdu.WriteException(response, function, code)
            : WriteWords(response, function, words);
    }

    public static int WriteWords(Span<byte> response, byte function, ReadOnlySpan<ushort> words)
    {
        response[0] = function;
        response[1] = (byte)(2 * words.Length);
        Pdu.WriteRegisters(words, response[2..]);
        return 2 + (2 * words.Length);
    }
}

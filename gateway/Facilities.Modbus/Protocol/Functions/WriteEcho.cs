namespace Facilities.Modbus.Protocol.Functions;

/// <summary>Writes answer with the first five bytes of their request: function, address, value or quantity.</summary>
internal static class WriteEcho
{
    public const int Length = 5;

    public static int Echo(ReadOnlySpan<byte> request, Span<byte> response)
    {
        request[..Length].CopyTo(response);
        return Length;
    }

    public static FrameError Check(ReadOnlySpan<byte> pdu, ReadOnlySpan<byte> request, FunctionCode function, out ModbusExceptionCode exception)
    {
        var error = Pdu.CheckFunction(pdu, function, out exception);
        if (error != FrameError.None || exception != ModbusExceptionCode.None)
        {
            return error;
        }

        if (pdu.Length != Length)
        {
            return FrameError.BadLength;
        }

        return pdu.SequenceEqual(request[..Length]) ? FrameError.None : FrameError.BadEcho;
    }
}

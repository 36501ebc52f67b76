namespace Facilities.Modbus.Protocol.Functions;

/// <summary>06 Write Single Register: request and response are (address, value).</summary>
internal static class WriteSingleRegister
{
    public static int WriteRequest(Span<byte> pdu, ushort address, ushort value) =>
        Pdu.WriteAddressAndWord(pdu, FunctionCode.WriteSingleRegister, address, value);

    public static FrameError ParseResponse(ReadOnlySpan<byte> pdu, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        WriteEcho.Check(pdu, request, FunctionCode.WriteSingleRegister, out exception);

    public static int Serve(ReadOnlySpan<byte> request, Span<byte> response, IRegisterAccess registers)
    {
        var function = request[0];
        if (!Pdu.TryReadAddressAndWord(request, out var address, out var value))
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        ReadOnlySpan<ushort> word = [value];
        var code = registers.WriteHoldingRegisters(address, word);
        return code != ModbusExceptionCode.None ? Pdu.WriteException(response, function, code) : WriteEcho.Echo(request, response);
    }
}

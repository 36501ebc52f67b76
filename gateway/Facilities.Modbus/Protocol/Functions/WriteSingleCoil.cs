namespace Facilities.Modbus.Protocol.Functions;

/// <summary>05 Write Single Coil: request and response are (address, 0xFF00 on / 0x0000 off).</summary>
internal static class WriteSingleCoil
{
    public static int WriteRequest(Span<byte> pdu, ushort address, bool value) =>
        Pdu.WriteAddressAndWord(pdu, FunctionCode.WriteSingleCoil, address, value ? ModbusLimits.CoilOn : ModbusLimits.CoilOff);

    /// <summary>The response must echo the request exactly.</summary>
    public static FrameError ParseResponse(ReadOnlySpan<byte> pdu, ReadOnlySpan<byte> request, out ModbusExceptionCode exception) =>
        WriteEcho.Check(pdu, request, FunctionCode.WriteSingleCoil, out exception);

    public static int Serve(ReadOnlySpan<byte> request, Span<byte> response, IRegisterAccess registers)
    {
        var function = request[0];
        if (!Pdu.TryReadAddressAndWord(request, out var address, out var value) || value is not (ModbusLimits.CoilOn or ModbusLimits.CoilOff))
        {
            return Pdu.WriteException(response, function, ModbusExceptionCode.IllegalDataValue);
        }

        ReadOnlySpan<bool> bit = [value == ModbusLimits.CoilOn];
        var code = registers.WriteCoils(address, bit);
        return code != ModbusExceptionCode.None ? Pdu.WriteException(response, function, code) : WriteEcho.Echo(request, response);
    }
}

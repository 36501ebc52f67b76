namespace Facilities.Modbus.Protocol;

/// <summary>The protocol's hard limits (Modbus Application Protocol v1.1b3). Both master and slave enforce them.</summary>
public static class ModbusLimits
{
    /// <summary>Largest PDU: function code plus 252 data bytes.</summary>
    public const int MaxPduLength = 253;

    /// <summary>Largest RTU ADU: unit id + PDU + CRC.</summary>
    public const int MaxRtuFrameLength = 256;

    /// <summary>Largest TCP ADU: 7-byte MBAP header + PDU without unit id.</summary>
    public const int MaxTcpFrameLength = 260;

    public const int MbapHeaderLength = 7;

    public const int MaxReadBits = 2000;
    public const int MaxReadRegisters = 125;
    public const int MaxWriteBits = 1968;
    public const int MaxWriteRegisters = 123;
    public const int MaxReadWriteReadRegisters = 125;
    public const int MaxReadWriteWriteRegisters = 121;

    public const ushort CoilOn = 0xFF00;
    public const ushort CoilOff = 0x0000;
}

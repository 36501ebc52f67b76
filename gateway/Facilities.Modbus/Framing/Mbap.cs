using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Framing;

/// <summary>
/// The Modbus TCP application header: transaction id, protocol id (0), length (unit id + PDU), unit id.
/// The length field is checked before anything is read or allocated for the body, so a lying length cannot grow memory.
/// </summary>
public static class Mbap
{
    public const int HeaderLength = ModbusLimits.MbapHeaderLength;

    public static int WriteFrame(Span<byte> frame, ushort transactionId, byte unit, ReadOnlySpan<byte> pdu)
    {
        Pdu.U16(frame, 0, transactionId);
        Pdu.U16(frame, 2, 0);
        Pdu.U16(frame, 4, (ushort)(pdu.Length + 1));
        frame[6] = unit;
        pdu.CopyTo(frame[HeaderLength..]);
        return HeaderLength + pdu.Length;
    }

    /// <summary>Reads and checks a header; on success <paramref name="frameLength"/> is the whole ADU length.</summary>
    public static FrameError ReadHeader(ReadOnlySpan<byte> header, out ushort transactionId, out byte unit, out int frameLength)
    {
        transactionId = Pdu.U16(header, 0);
        unit = header[6];
        frameLength = 0;
        if (Pdu.U16(header, 2) != 0)
        {
            return FrameError.BadProtocolId;
        }

        var length = Pdu.U16(header, 4);
        if (length < 2)
        {
            return FrameError.Truncated;
        }

        if (length > ModbusLimits.MaxPduLength + 1)
        {
            return FrameError.TooLong;
        }

        frameLength = HeaderLength - 1 + length;
        return FrameError.None;
    }
}

using Facilities.Modbus.Framing;

namespace Facilities.Modbus.Tests.Support;

/// <summary>Builds wire frames for tests.</summary>
public static class Frames
{
    public static byte[] Rtu(params byte[] unitAndPdu)
    {
        var frame = new byte[unitAndPdu.Length + 2];
        unitAndPdu.CopyTo(frame, 0);
        Crc16.Append(frame, unitAndPdu.Length);
        return frame;
    }

    public static byte[] Mbap(ushort transactionId, byte unit, params byte[] pdu)
    {
        var frame = new byte[7 + pdu.Length];
        Framing.Mbap.WriteFrame(frame, transactionId, unit, pdu);
        return frame;
    }

    public static ushort TransactionId(byte[] mbapRequest) => (ushort)((mbapRequest[0] << 8) | mbapRequest[1]);

    /// <summary>A read-registers response PDU carrying <paramref name="values"/>.</summary>
    public static byte[] RegistersPdu(byte function, params ushort[] values)
    {
        var pdu = new byte[2 + (2 * values.Length)];
        pdu[0] = function;
        pdu[1] = (byte)(2 * values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            pdu[2 + (2 * i)] = (byte)(values[i] >> 8);
            pdu[3 + (2 * i)] = (byte)values[i];
        }

        return pdu;
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}

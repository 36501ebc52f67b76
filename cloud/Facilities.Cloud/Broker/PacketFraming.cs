namespace Facilities.Cloud.Broker;

/// <summary>
/// Follows MQTT's framing over the bytes of a connection as they are read — a type byte, a remaining length of one to
/// four bytes, then that many bytes of body — so a packet's size is known from its first bytes, before anyone buffers
/// its body. Pure: no I/O.
/// </summary>
internal sealed class PacketFraming(int maxPacketSize)
{
    /// <summary>Reported for a remaining length that does not end within its four bytes (MQTT's maximum).</summary>
    public const long Unbounded = long.MaxValue;

    private int _headerBytes;
    private int _remainingLength;
    private int _multiplier;
    private long _bodyLeft;

    /// <summary>Packets read to their last byte; the first one of a connection must be its CONNECT.</summary>
    public long CompletedPackets { get; private set; }

    /// <summary>
    /// Takes the next bytes read; returns the size a packet announced when that is above the maximum (header
    /// included, as MQTT 5's Maximum Packet Size counts), otherwise 0.
    /// </summary>
    public long Advance(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_bodyLeft > 0)
            {
                var taken = (int)Math.Min(_bodyLeft, bytes.Length - i);
                _bodyLeft -= taken;
                i += taken;
                if (_bodyLeft == 0)
                {
                    CompletedPackets++;
                }

                continue;
            }

            var value = bytes[i++];
            if (_headerBytes == 0)
            {
                (_headerBytes, _remainingLength, _multiplier) = (1, 0, 1);
                continue;
            }

            _remainingLength += (value & 0x7F) * _multiplier;
            _headerBytes++;
            if ((value & 0x80) != 0)
            {
                if (_headerBytes == 5)
                {
                    return Unbounded;
                }

                _multiplier *= 128;
                continue;
            }

            var size = (long)_headerBytes + _remainingLength;
            _headerBytes = 0;
            if (size > maxPacketSize)
            {
                return size;
            }

            if (_remainingLength == 0)
            {
                CompletedPackets++;
            }
            else
            {
                _bodyLeft = _remainingLength;
            }
        }

        return 0;
    }
}

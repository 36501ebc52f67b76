using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Framing;

/// <summary>
/// Cuts a TCP byte stream into MBAP frames, for the master's receive loop and the slave's connections alike.
/// Memory is fixed: the buffer never grows, and a header whose length field lies (over 254) is an error before
/// any body is awaited. After an error the stream has no trustworthy frame boundary and must be closed.
/// </summary>
internal sealed class MbapReader
{
    private readonly byte[] _buffer = new byte[8 * ModbusLimits.MaxTcpFrameLength];
    private int _start;
    private int _end;

    public FrameError Error { get; private set; }

    /// <summary>Space for the next receive; always room for at least one whole frame.</summary>
    public Memory<byte> FreeSpace
    {
        get
        {
            if (_start == _end)
            {
                _start = _end = 0;
            }
            else if (_buffer.Length - _end < ModbusLimits.MaxTcpFrameLength)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            return _buffer.AsMemory(_end);
        }
    }

    public void Advance(int received) => _end += received;

    /// <summary>
    /// Takes the next complete frame. False when more bytes are needed or <see cref="Error"/> is set.
    /// <paramref name="pdu"/> stays valid until <see cref="FreeSpace"/> is next read.
    /// </summary>
    public bool TryRead(out ushort transactionId, out byte unit, out ReadOnlyMemory<byte> pdu)
    {
        transactionId = 0;
        unit = 0;
        pdu = default;
        if (Error != FrameError.None || _end - _start < Mbap.HeaderLength)
        {
            return false;
        }

        Error = Mbap.ReadHeader(_buffer.AsSpan(_start, Mbap.HeaderLength), out transactionId, out unit, out var frameLength);
        if (Error != FrameError.None || _end - _start < frameLength)
        {
            return false;
        }

        pdu = _buffer.AsMemory(_start + Mbap.HeaderLength, frameLength - Mbap.HeaderLength);
        _start += frameLength;
        return true;
    }
}

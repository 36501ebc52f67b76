using Facilities.Modbus.Framing;

namespace Facilities.Modbus.Tests.Codecs;

public sealed class Crc16Tests
{
    [Fact]
    public void Compute_ReadHoldingRequest_MatchesSpecExample()
    {
        // Read 10 holding registers from address 0 on unit 1: the CRC on the wire is C5 CD.
        byte[] frame = [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0, 0];
        Crc16.Append(frame, 6);
        Assert.Equal([0xC5, 0xCD], frame[6..]);
    }

    [Fact]
    public void IsValid_OneBitFlipped_IsFalse()
    {
        byte[] frame = [0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0, 0];
        Crc16.Append(frame, 6);
        Assert.True(Crc16.IsValid(frame));
        frame[3] ^= 0x04;
        Assert.False(Crc16.IsValid(frame));
    }
}

using Facilities.Cloud.Broker;
using Facilities.Cloud.Tests.Hostile;

namespace Facilities.Cloud.Tests.Broker;

/// <summary>The byte-level guard in front of MQTTnet: a packet's size is known from its header, before its body.</summary>
public sealed class PacketFramingTests
{
    [Fact]
    public void Advance_ALengthSplitAcrossReads_ReportsTheAnnouncedSizeAtItsLastByte()
    {
        var framing = new PacketFraming(maxPacketSize: 1024);

        long[] reports = [framing.Advance([0x30]), framing.Advance([0x80]), framing.Advance([0x10])];

        Assert.Equal([0, 0, 1 + 2 + (16 * 128)], reports);
    }

    [Fact]
    public void Advance_APacketOfExactlyTheLimit_IsAccepted()
    {
        var packet = RawMqttSocket.Publish("t", new byte[100], retain: false);
        var framing = new PacketFraming(maxPacketSize: packet.Length);

        Assert.Equal(0, framing.Advance(packet));
        Assert.Equal(1, framing.CompletedPackets);
    }

    [Fact]
    public void Advance_APacketOneByteOverTheLimit_IsReported()
    {
        var packet = RawMqttSocket.Publish("t", new byte[100], retain: false);
        var framing = new PacketFraming(maxPacketSize: packet.Length - 1);

        Assert.Equal(packet.Length, framing.Advance(packet));
    }

    [Fact]
    public void Advance_APacketReadInPieces_CountsAsCompleteOnlyAtItsLastByte()
    {
        var connect = RawMqttSocket.Connect("site-a/gw-a", "site-a/gw-a", "pw-a");
        var framing = new PacketFraming(maxPacketSize: 1024);

        framing.Advance(connect.AsSpan(0, 2));
        framing.Advance(connect.AsSpan(2, connect.Length - 3));
        var beforeLastByte = framing.CompletedPackets;
        framing.Advance(connect.AsSpan(connect.Length - 1));

        Assert.Equal((0, 1), (beforeLastByte, framing.CompletedPackets));
    }

    [Fact]
    public void Advance_PacketsWithoutBody_AreCountedToo()
    {
        var framing = new PacketFraming(maxPacketSize: 1024);

        framing.Advance([0xC0, 0x00, 0xC0, 0x00]); // two PINGREQs

        Assert.Equal(2, framing.CompletedPackets);
    }

    [Fact]
    public void Advance_ALengthThatDoesNotEndInFourBytes_IsUnbounded()
    {
        var framing = new PacketFraming(maxPacketSize: 1024);

        Assert.Equal(PacketFraming.Unbounded, framing.Advance([0x10, 0xFF, 0xFF, 0xFF, 0xFF]));
    }
}

using Facilities.Modbus.Framing;

namespace Facilities.Modbus.Tests.Codecs;

public sealed class RtuFrameTests
{
    [Theory]
    [InlineData(new byte[] { 1, 0x03, 0, 0, 0, 10 }, 8)]
    [InlineData(new byte[] { 1, 0x06, 0, 1, 0, 2 }, 8)]
    [InlineData(new byte[] { 1, 0x10, 0, 0, 0, 2, 4 }, 13)]
    [InlineData(new byte[] { 1, 0x0F, 0, 0, 0, 10, 2 }, 11)]
    [InlineData(new byte[] { 1, 0x17, 0, 0, 0, 1, 0, 5, 0, 2, 4 }, 17)]
    [InlineData(new byte[] { 1, 0x2B, 0, 0 }, -1)]
    public void RequestLength_PredictsFromHeader(byte[] head, int expected) =>
        Assert.Equal(expected, RtuFrame.RequestLength(head));

    [Theory]
    [InlineData(new byte[] { 1, 0x03, 20 }, 25)]
    [InlineData(new byte[] { 1, 0x01, 2 }, 7)]
    [InlineData(new byte[] { 1, 0x83, 2 }, 5)]
    [InlineData(new byte[] { 1, 0x10, 0 }, 8)]
    [InlineData(new byte[] { 1, 0x17, 4 }, 9)]
    [InlineData(new byte[] { 1, 0x41, 4 }, -1)]
    public void ResponseLength_PredictsFromHeader(byte[] head, int expected) =>
        Assert.Equal(expected, RtuFrame.ResponseLength(head));

    [Fact]
    public void MbapReader_LyingLength_IsErrorBeforeBodyArrives()
    {
        var reader = new MbapReader();
        byte[] header = [0, 1, 0, 0, 0x23, 0x28, 1];   // says 9000 bytes follow
        header.CopyTo(reader.FreeSpace.Span);
        reader.Advance(header.Length);
        Assert.False(reader.TryRead(out _, out _, out _));
        Assert.Equal(Facilities.Modbus.Protocol.FrameError.TooLong, reader.Error);
    }

    [Fact]
    public void MbapReader_TwoFramesInOneChunk_YieldsBoth()
    {
        var reader = new MbapReader();
        var chunk = Support.Frames.Concat(Support.Frames.Mbap(7, 1, 0x06, 0, 1, 0, 2), Support.Frames.Mbap(8, 2, 0x06, 0, 3, 0, 4));
        chunk.CopyTo(reader.FreeSpace.Span);
        reader.Advance(chunk.Length - 3);
        Assert.True(reader.TryRead(out var first, out var unit, out var pdu));
        Assert.Equal((7, 1, 5), (first, unit, pdu.Length));
        Assert.False(reader.TryRead(out _, out _, out _));
        chunk.AsSpan(chunk.Length - 3).CopyTo(reader.FreeSpace.Span);
        reader.Advance(3);
        Assert.True(reader.TryRead(out var second, out unit, out _));
        Assert.Equal((8, 2), (second, unit));
    }
}

using Facilities.Gateway.Profiles;
using Facilities.Modbus.Protocol;

namespace Facilities.Gateway.Tests;

public sealed class PointEncoderTests
{
    public static TheoryData<PointType, int, bool, bool, double, double> RoundTrips() => new()
    {
        { PointType.Int16, 1, false, false, 0.1, -12.3 },
        { PointType.UInt16, 1, false, true, 1, 4660 },
        { PointType.Int32, 2, true, false, 1, -70000 },
        { PointType.UInt32, 2, false, false, 0.01, 1234567.89 },
        { PointType.Float32, 2, true, true, 1, 3.5 },
        { PointType.Int64, 4, false, false, 1, -5_000_000_000 },
        { PointType.Float64, 4, true, false, 1, Math.E },
    };

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Encode_ThenDecode_GivesTheValueBack(PointType type, int count, bool wordSwap, bool byteSwap, double scale, double value)
    {
        var point = new PointSpec { Name = "p", Table = RegisterTable.HoldingRegisters, Address = 0, Type = type, Count = count, WordSwap = wordSwap, ByteSwap = byteSwap, Scale = scale, Offset = 0 };
        var (words, error) = PointEncoder.Encode(point, value);
        Assert.Null(error);
        Assert.Equal(value, PointDecoder.Decode(point, words).Number, 6);
    }

    [Fact]
    public void Encode_OutOfRange_SaysSo()
    {
        var point = new PointSpec { Name = "level", Table = RegisterTable.HoldingRegisters, Address = 0, Type = PointType.UInt16, Count = 1 };
        Assert.Contains("outside what level (UInt16) can hold", PointEncoder.Encode(point, -1).Error, StringComparison.Ordinal);
        Assert.Contains("not a number", PointEncoder.Encode(point, double.NaN).Error, StringComparison.Ordinal);
    }
}

using System.Globalization;
using Facilities.Gateway.Profiles;
using Facilities.Modbus.Protocol;

namespace Facilities.Gateway.Tests;

public sealed class ValuePrecisionTests
{
    private static PointSpec Point(PointType type, double scale = 1, double offset = 0) => new()
    {
        Name = "p", Table = RegisterTable.HoldingRegisters, Address = 0, Type = type,
        Count = type is PointType.Float32 or PointType.Int32 ? 2 : type == PointType.Float64 ? 4 : 1, Scale = scale, Offset = offset,
    };

    // The shortest text that reads back as the double: what the published JSON will carry.
    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Decoded(PointSpec point, params ushort[] raw) => Text(PointDecoder.Decode(point, raw).Number);

    [Theory]
    [InlineData(0.1, 0, 1)]
    [InlineData(0.01, 0, 2)]
    [InlineData(0.5, 0, 1)]
    [InlineData(1, 0, 0)]
    [InlineData(0.001, 0, 3)]
    [InlineData(0.25, 0, 2)]
    [InlineData(0.05, 0, 2)]
    [InlineData(1e-4, 0, 4)]
    [InlineData(1e-5, 0, 5)]
    [InlineData(10, 0, 0)]
    [InlineData(1e20, 0, 0)]
    [InlineData(0.1, -273.15, 2)]
    [InlineData(1, 0.5, 1)]
    [InlineData(-0.1, 0, 1)]
    public void DecimalsOf_ScaleAndOffset_PlacesOfTheFinerOne(double scale, double offset, int decimals) =>
        Assert.Equal(decimals, ValuePrecision.DecimalsOf(scale, offset));

    [Fact]
    public void DecimalsOf_FinerThanADoubleRounds_FallsBackToSignificantDigits() =>
        Assert.Equal(ValuePrecision.Significant, ValuePrecision.DecimalsOf(1e-17, 0));

    [Theory]
    [InlineData(514, 0.1, "51.4")]
    [InlineData(3, 0.1, "0.3")]
    [InlineData(7, 0.05, "0.35")]
    [InlineData(3, 1e-4, "0.0003")]
    [InlineData(12345, 1e-4, "1.2345")]
    [InlineData(3, 0.25, "0.75")]
    [InlineData(1, 0.25, "0.25")]
    [InlineData(12345, 0.01, "123.45")]
    [InlineData(2001, 0.001, "2.001")]
    [InlineData(65535, 0.001, "65.535")]
    [InlineData(51, 0.5, "25.5")]
    [InlineData(514, 1, "514")]
    public void Decode_UInt16TimesScale_PublishesTheExactDecimal(int raw, double scale, string expected) =>
        Assert.Equal(expected, Decoded(Point(PointType.UInt16, scale), (ushort)raw));

    [Theory]
    [InlineData(-514, 0.1, "-51.4")]
    [InlineData(-3, 0.1, "-0.3")]
    [InlineData(-7, 0.05, "-0.35")]
    [InlineData(-3, 1e-4, "-0.0003")]
    [InlineData(-3, 0.25, "-0.75")]
    [InlineData(-32768, 0.01, "-327.68")]
    public void Decode_NegativeInt16TimesScale_PublishesTheExactDecimal(int raw, double scale, string expected) =>
        Assert.Equal(expected, Decoded(Point(PointType.Int16, scale), unchecked((ushort)(short)raw)));

    [Fact]
    public void Decode_Int32WithScaleAndOffset_RoundsToTheFinerOfTheTwo() =>
        // −129999 × 0.01 − 273.15 = −1573.14 exactly; binary arithmetic alone gives −1573.1399999999999.
        Assert.Equal("-1573.14", Decoded(Point(PointType.Int32, 0.01, -273.15), 0xFFFE, 0x0431));

    [Fact]
    public void Decode_ScaleOneOffsetHalf_KeepsTheHalf() =>
        Assert.Equal("20.5", Decoded(Point(PointType.UInt16, 1, 0.5), 20));

    [Fact]
    public void Decode_Float32_PublishesItsShortestDecimalNotItsBinaryWidening()
    {
        var bits = BitConverter.SingleToUInt32Bits(21.3f);
        Assert.Equal("21.3", Decoded(Point(PointType.Float32), (ushort)(bits >> 16), (ushort)bits));
    }

    [Fact]
    public void Decode_Float32WithScale_DropsTheArithmeticNoise()
    {
        // 3 × 0.1 is 0.30000000000000004 in binary.
        var bits = BitConverter.SingleToUInt32Bits(3f);
        Assert.Equal("0.3", Decoded(Point(PointType.Float32, 0.1), (ushort)(bits >> 16), (ushort)bits));
    }

    [Fact]
    public void Decode_Float64WithoutScale_PublishesTheDeviceValueUnchanged()
    {
        var bits = BitConverter.DoubleToUInt64Bits(0.1 + 0.2);
        Assert.Equal(0.1 + 0.2, PointDecoder.Decode(Point(PointType.Float64), [(ushort)(bits >> 48), (ushort)(bits >> 32), (ushort)(bits >> 16), (ushort)bits]).Number);
    }

    [Fact]
    public void PointSpec_ScaleChangedWith_DecimalsFollow()
    {
        var point = Point(PointType.UInt16, 0.1) with { Scale = 0.001 };
        Assert.Equal(3, point.Decimals);
    }

    [Fact]
    public void MovedBy_ExactlyTheDeadbandBetweenRoundedValues_Counts() =>
        // 0.3 − 0.2 is 0.09999999999999998 in binary: a move of one step of a 0.1-scaled register.
        Assert.True(ValuePrecision.MovedBy(0.2, 0.3, 0.1));

    [Fact]
    public void MovedBy_LargeValuesExactlyTheDeadbandApart_Counts() =>
        // 6000.2 − 6000.1 is 0.0999999999994543 in binary.
        Assert.True(ValuePrecision.MovedBy(6000.1, 6000.2, 0.1));

    [Fact]
    public void MovedBy_LessThanTheDeadband_DoesNotCount() =>
        Assert.False(ValuePrecision.MovedBy(20.0, 20.4, 0.5));
}

using System.Buffers;
using Facilities.Cloud.TelemetryStore;

namespace Facilities.Cloud.Tests.TelemetryStore;

public sealed class LineProtocolTests
{
    private static readonly DateTimeOffset Time = DateTimeOffset.FromUnixTimeMilliseconds(1_795_335_302_114);

    private static string? Line(string measurement, Tag[] tags, params Field[] fields) =>
        LineProtocol.Format(new LinePoint(measurement, tags, fields, Time));

    [Fact]
    public void Format_PlainPoint_GivesMeasurementSortedTagsFieldsAndMilliseconds()
    {
        var line = Line("elevator", [new("site", "estate"), new("device", "lift-1")], Field.OfNumber("floor", 7), Field.OfNumber("speed", 1.75));
        Assert.Equal("elevator,device=lift-1,site=estate floor=7,speed=1.75 1795335302114", line);
    }

    [Fact]
    public void Format_MeasurementWithCommaAndSpace_EscapesThemButNotEquals()
    {
        Assert.Equal(@"a\,b\ c=d v=1 1795335302114", Line("a,b c=d", [], Field.OfNumber("v", 1)));
    }

    [Fact]
    public void Format_TagKeysAndValuesWithCommaEqualsSpace_EscapesEach()
    {
        var line = Line("m", [new("k,e y=", "v, a=l")], Field.OfNumber("v", 1));
        Assert.Equal(@"m,k\,e\ y\==v\,\ a\=l v=1 1795335302114", line);
    }

    [Fact]
    public void Format_FieldKeyWithCommaEqualsSpace_EscapesEach()
    {
        Assert.Equal(@"m f\,i\=e\ ld=1 1795335302114", Line("m", [], Field.OfNumber("f,i=e ld", 1)));
    }

    [Fact]
    public void Format_StringFieldWithQuotesAndBackslashes_EscapesThemInsideQuotes()
    {
        var line = Line("m", [], Field.OfText("label", @"say ""hi"" C:\path\"));
        Assert.Equal(@"m label=""say \""hi\"" C:\\path\\"" 1795335302114", line);
    }

    [Fact]
    public void Format_StringFieldWithCommaSpaceEquals_KeepsThemUnescaped()
    {
        Assert.Equal("m s=\"a, b=c\" 1795335302114", Line("m", [], Field.OfText("s", "a, b=c")));
    }

    [Fact]
    public void Format_BackslashInNames_BecomesSlash()
    {
        // InfluxDB 1.x cannot parse a backslash at the end of a name or before an escaped character.
        var line = Line(@"m\", [new(@"t\", @"v\")], Field.OfNumber(@"f\", 1));
        Assert.Equal("m/,t/=v/ f/=1 1795335302114", line);
    }

    [Fact]
    public void Format_NewlinesInNamesAndStrings_BecomeSpaces()
    {
        var line = Line("m", [new("t", "a\nb")], Field.OfText("s", "x\r\ny"));
        Assert.Equal("m,t=a\\ b s=\"x  y\" 1795335302114", line);
        Assert.DoesNotContain('\n', line!);
    }

    [Fact]
    public void Format_MeasurementStartingWithHash_IsNotAComment()
    {
        Assert.Equal("_x v=1 1795335302114", Line("#x", [], Field.OfNumber("v", 1)));
    }

    [Fact]
    public void Format_EmptyTagValue_LeavesTheTagOut()
    {
        Assert.Equal("m,a=1 v=1 1795335302114", Line("m", [new("b", ""), new("a", "1"), new("c", null)], Field.OfNumber("v", 1)));
    }

    [Theory]
    [InlineData(5.0, "5")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e20, "1E+20")]
    [InlineData(1.5e-7, "1.5E-07")]
    [InlineData(250312.0, "250312")]
    public void FormatFloat_Value_IsShortestRoundTripInvariantText(double value, string expected)
    {
        Assert.Equal(expected, LineProtocol.FormatFloat(value));
        Assert.Equal(value, double.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Format_NonFiniteNumbers_AreLeftOut()
    {
        Assert.Equal("m ok=2 1795335302114", Line("m", [], Field.OfNumber("nan", double.NaN), Field.OfNumber("ok", 2), Field.OfNumber("inf", double.PositiveInfinity)));
    }

    [Fact]
    public void Format_NoWritableField_GivesNull()
    {
        Assert.Null(Line("m", [new("t", "v")], Field.OfNumber("nan", double.NaN), Field.OfNumber("", 1)));
    }

    [Fact]
    public void Format_TimeWithMicroseconds_IsTruncatedToMilliseconds()
    {
        var line = LineProtocol.Format(new LinePoint("m", [], [Field.OfNumber("v", 1)], Time.AddTicks(9999)));
        Assert.EndsWith(" 1795335302114", line);
    }

    [Fact]
    public void Format_EmptyMeasurement_Throws()
    {
        Assert.Throws<ArgumentException>(() => Line("", [], Field.OfNumber("v", 1)));
    }

    [Fact]
    public void Write_SeveralPoints_WritesEachLineAsFormatDoes_InUtf8_AndNothingForAPointWithoutWritableField()
    {
        var tags = new Tag[] { new("site", "estate"), new("gateway", "gw-1"), new("building", "3"), new("device", "lift-1"), new("empty", "") };
        var first = new LinePoint("elevator", tags, [Field.OfNumber("floor", 7), Field.OfText("door_label", "open \"wide\"")], Time);
        var nothing = new LinePoint("elevator", tags, [Field.OfNumber("nan", double.NaN)], Time);
        var second = new LinePoint("boiler", [new("z", "1"), new("a", "2")], [Field.OfNumber("supply", 0.1 + 0.2)], Time.AddSeconds(1));
        var body = new System.Buffers.ArrayBufferWriter<byte>();
        body.Write("head\n"u8);

        Assert.True(LineProtocol.Write(body, first));
        body.Write("\n"u8);
        Assert.False(LineProtocol.Write(body, nothing));
        Assert.True(LineProtocol.Write(body, second));

        Assert.Equal($"head\n{LineProtocol.Format(first)}\n{LineProtocol.Format(second)}", System.Text.Encoding.UTF8.GetString(body.WrittenSpan));
        Assert.Equal("elevator,building=3,device=lift-1,gateway=gw-1,site=estate floor=7,door_label=\"open \\\"wide\\\"\" 1795335302114", LineProtocol.Format(first));
        Assert.Equal("boiler,a=2,z=1 supply=0.30000000000000004 1795335303114", LineProtocol.Format(second));
    }

    [Fact]
    public void Write_NonAsciiNamesAndValues_AreUtf8_EscapedAsText()
    {
        var point = new LinePoint("电梯", [new("building", "三号楼 东")], [Field.OfText("door_label", "开门\"中\""), Field.OfNumber("温度", 41.5)], Time);
        var body = new System.Buffers.ArrayBufferWriter<byte>();

        Assert.True(LineProtocol.Write(body, point));

        Assert.Equal(System.Text.Encoding.UTF8.GetBytes("电梯,building=三号楼\\ 东 door_label=\"开门\\\"中\\\"\",温度=41.5 1795335302114"), body.WrittenSpan.ToArray());
    }
}

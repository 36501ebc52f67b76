using Facilities.Gateway.Profiles;
using Facilities.Modbus.Protocol;

namespace Facilities.Gateway.Tests;

public sealed class PointDecoderTests
{
    private static PointSpec Point(PointType type, int count, bool wordSwap = false, bool byteSwap = false, double scale = 1, double offset = 0, int bit = 0) => new()
    {
        Name = "p", Table = RegisterTable.HoldingRegisters, Address = 0, Type = type, Count = count,
        WordSwap = wordSwap, ByteSwap = byteSwap, Scale = scale, Offset = offset, Bit = bit,
    };

    [Fact]
    public void Int16_Negative_WithScale() =>
        Assert.Equal(-12.5, PointDecoder.Decode(Point(PointType.Int16, 1, scale: 0.1), [unchecked((ushort)-125)]).Number, 6);

    [Fact]
    public void UInt32_HighWordFirst() =>
        Assert.Equal(0x0001_0002u, PointDecoder.Decode(Point(PointType.UInt32, 2), [0x0001, 0x0002]).Number);

    [Fact]
    public void UInt32_LowWordFirst() =>
        Assert.Equal(0x0001_0002u, PointDecoder.Decode(Point(PointType.UInt32, 2, wordSwap: true), [0x0002, 0x0001]).Number);

    [Fact]
    public void Float32_WordSwapped_CDAB()
    {
        var bits = BitConverter.SingleToUInt32Bits(1.5f);
        Assert.Equal(1.5, PointDecoder.Decode(Point(PointType.Float32, 2, wordSwap: true), [(ushort)bits, (ushort)(bits >> 16)]).Number);
    }

    [Fact]
    public void Float32_ByteSwapped_BADC()
    {
        var bits = BitConverter.SingleToUInt32Bits(-42.25f);
        ushort Swap(ushort w) => (ushort)((w << 8) | (w >> 8));
        Assert.Equal(-42.25, PointDecoder.Decode(Point(PointType.Float32, 2, byteSwap: true), [Swap((ushort)(bits >> 16)), Swap((ushort)bits)]).Number);
    }

    [Fact]
    public void Int64_AndFloat64_FourWords()
    {
        Assert.Equal(-2, PointDecoder.Decode(Point(PointType.Int64, 4), [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE]).Number);
        var bits = BitConverter.DoubleToUInt64Bits(Math.PI);
        Assert.Equal(Math.PI, PointDecoder.Decode(Point(PointType.Float64, 4, wordSwap: true),
            [(ushort)bits, (ushort)(bits >> 16), (ushort)(bits >> 32), (ushort)(bits >> 48)]).Number);
    }

    [Fact]
    public void Bit_ReadsItsPosition()
    {
        Assert.Equal(1, PointDecoder.Decode(Point(PointType.Bit, 1, bit: 9), [0x0200]).Number);
        Assert.Equal(0, PointDecoder.Decode(Point(PointType.Bit, 1, bit: 8), [0x0200]).Number);
    }

    [Fact]
    public void ElevatorProfile_FaultWordWithThreeFaults_DecodesEachToItsOwnPoint()
    {
        var profile = ProfileLoader.Load(Path.Combine(AppContext.BaseDirectory, "profiles", "facilities-sim-elevator.json"));
        ushort word = (1 << 0) | (1 << 9) | (1 << 14);
        var faults = profile.Points.Where(p => p.Table == RegisterTable.InputRegisters && p.Address == 17)
            .ToDictionary(p => p.Name, p => PointDecoder.Decode(p, [word]).Number);
        Assert.Equal(16, faults.Count);
        Assert.Equal(["fault_door_lock_open", "fault_landing_button_stuck", "fault_trapped_at_floor"], faults.Where(f => f.Value == 1).Select(f => f.Key).Order());
    }

    [Fact]
    public void ElevatorProfile_EventWord_AlarmButtonBesideEarthquake()
    {
        var profile = ProfileLoader.Load(Path.Combine(AppContext.BaseDirectory, "profiles", "facilities-sim-elevator.json"));
        ushort word = (1 << 6) | (1 << 7);
        var events = profile.Points.Where(p => p.Table == RegisterTable.InputRegisters && p.Address == 18)
            .ToDictionary(p => p.Name, p => PointDecoder.Decode(p, [word]).Number);
        Assert.Equal(["event_alarm_button", "event_earthquake"], events.Where(e => e.Value == 1).Select(e => e.Key).Order());
    }

    [Fact]
    public void String_StopsAtNul() =>
        Assert.Equal("EV-12", PointDecoder.Decode(Point(PointType.String, 4), [0x4556, 0x2D31, 0x3200, 0x0000]).Text);

    [Fact]
    public void Offset_AppliesAfterScale() =>
        Assert.Equal(-40 + 25.5, PointDecoder.Decode(Point(PointType.UInt16, 1, scale: 0.5, offset: -40), [51]).Number, 6);

    [Fact]
    public void Enum_CarriesItsLabel()
    {
        var point = Point(PointType.UInt16, 1) with { Labels = new Dictionary<long, string> { [3] = "running" } };
        Assert.Equal("running", PointDecoder.Decode(point, [3]).Label);
        Assert.Null(PointDecoder.Decode(point, [4]).Label);
    }
}

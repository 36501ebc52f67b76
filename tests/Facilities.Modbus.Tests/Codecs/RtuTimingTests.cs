using Facilities.Modbus.Framing;

namespace Facilities.Modbus.Tests.Codecs;

public sealed class RtuTimingTests
{
    [Fact]
    public void Timing_At9600_IsCharacterBased()
    {
        var timing = new RtuTiming { BaudRate = 9600, GapTolerance = TimeSpan.Zero };
        Assert.Equal(1.1458, timing.CharacterTime.TotalMilliseconds, 3);
        Assert.Equal(1.7188, timing.InterCharacterLimit.TotalMilliseconds, 3);
        Assert.Equal(4.0104, timing.InterFrameSilence.TotalMilliseconds, 3);
    }

    [Fact]
    public void Timing_Above19200_IsFixed()
    {
        var timing = new RtuTiming { BaudRate = 115200, GapTolerance = TimeSpan.FromMilliseconds(5), TurnaroundDelay = TimeSpan.FromMilliseconds(3) };
        Assert.Equal(0.750, timing.InterCharacterLimit.TotalMilliseconds, 6);
        Assert.Equal(1.750, timing.InterFrameSilence.TotalMilliseconds, 6);
        Assert.Equal(5.750, timing.FrameGapTimeout.TotalMilliseconds, 6);
        Assert.Equal(4.750, timing.SendGuard.TotalMilliseconds, 6);
    }

    [Fact]
    public void TransmissionTime_ReadOfTenRegisters_MatchesDomainFormula()
    {
        // (13 + 2N) characters for request plus response at 11 bits each; N = 10 at 9600 baud.
        var timing = new RtuTiming { BaudRate = 9600 };
        Assert.Equal(33 * 11 / 9600.0 * 1000, timing.TransmissionTime(33).TotalMilliseconds, 2);
    }

    [Fact]
    public void Validate_AbsurdBaudRate_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RtuTiming { BaudRate = 12 }.Validate());
    }
}

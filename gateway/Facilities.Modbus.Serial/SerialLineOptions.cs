using System.IO.Ports;
using Facilities.Modbus.Framing;

namespace Facilities.Modbus.Serial;

/// <summary>An RS-485/RS-232 line: port and character format. Modbus RTU uses 8 data bits and 11-bit characters.</summary>
public sealed record SerialLineOptions
{
    public required string PortName { get; init; }

    public int BaudRate { get; init; } = 19200;

    /// <summary>Even parity is the Modbus default; with no parity the spec asks for two stop bits.</summary>
    public Parity Parity { get; init; } = Parity.Even;

    public StopBits StopBits { get; init; } = StopBits.One;

    public TimeSpan GapTolerance { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan TurnaroundDelay { get; init; } = TimeSpan.Zero;

    public RtuTiming Timing => new() { BaudRate = BaudRate, GapTolerance = GapTolerance, TurnaroundDelay = TurnaroundDelay };

    public string Endpoint => $"rtu:{PortName}@{BaudRate}";
}

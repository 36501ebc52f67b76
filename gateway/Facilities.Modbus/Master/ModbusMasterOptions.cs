using Facilities.Modbus.Framing;

namespace Facilities.Modbus.Master;

/// <summary>A Modbus TCP device or gateway.</summary>
public sealed record ModbusTcpMasterOptions
{
    public required string Host { get; init; }

    public int Port { get; init; } = 502;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Requests pipelined on the connection. Many devices handle only one; raise it only where the device allows.</summary>
    public int MaxRequestsInFlight { get; init; } = 1;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        ArgumentOutOfRangeException.ThrowIfLessThan(Port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestsInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRequestsInFlight, 256);
    }
}

/// <summary>A serial-to-Ethernet converter that passes RTU frames through a TCP socket.</summary>
public sealed record ModbusRtuOverTcpMasterOptions
{
    public required string Host { get; init; }

    public required int Port { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Line timing: by default the converter owns the serial timing (<see cref="RtuTiming.ForNetwork"/>).</summary>
    public RtuTiming Timing { get; init; } = RtuTiming.ForNetwork();

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        ArgumentOutOfRangeException.ThrowIfLessThan(Port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        Timing.Validate();
    }
}

/// <summary>An RTU line reached through any byte stream (the serial project opens serial ports).</summary>
public sealed record ModbusRtuMasterOptions
{
    /// <summary>Names the line in errors and logs, e.g. "rtu:/dev/ttyUSB0".</summary>
    public required string Endpoint { get; init; }

    public required RtuTiming Timing { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);
}

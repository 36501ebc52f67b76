namespace Facilities.Modbus.Protocol;

/// <summary>Base of every error the Modbus library throws for protocol or transport reasons.</summary>
public abstract class ModbusException : Exception
{
    protected ModbusException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The exchange did not complete: the peer was silent, unreachable, or spoke nonsense.</summary>
public abstract class ModbusTransportException : ModbusException
{
    protected ModbusTransportException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>No valid response arrived within the request timeout.</summary>
public sealed class ModbusTimeoutException(string message) : ModbusTransportException(message);

/// <summary>The connection could not be opened or broke; the next request reopens it.</summary>
public sealed class ModbusConnectionException(string message, Exception? inner = null) : ModbusTransportException(message, inner);

/// <summary>A frame violated the protocol (bad CRC, lying length, wrong echo, wrong byte count ...).</summary>
public sealed class ModbusFrameException(FrameError error, string message) : ModbusTransportException(message)
{
    public FrameError Error { get; } = error;
}

/// <summary>The device answered with a Modbus exception response and the caller asked for it to throw.</summary>
public sealed class ModbusDeviceException(ModbusExceptionCode code)
    : ModbusException($"The device answered with Modbus exception {(byte)code} ({code}).")
{
    public ModbusExceptionCode Code { get; } = code;
}

/// <summary>What was wrong with a frame or PDU. <see cref="None"/> means it was valid.</summary>
public enum FrameError
{
    None,
    Truncated,
    TooLong,
    BadCrc,
    BadProtocolId,
    BadLength,
    UnexpectedUnit,
    UnexpectedFunction,
    BadByteCount,
    BadEcho,
    BadValue,
}

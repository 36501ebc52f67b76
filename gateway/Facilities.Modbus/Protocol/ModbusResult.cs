namespace Facilities.Modbus.Protocol;

/// <summary>
/// The outcome of a request the device understood: either success or the exception code it answered with.
/// Transport failures (timeout, broken connection, malformed frames) are not results; they throw
/// <see cref="ModbusTransportException"/>.
/// </summary>
public readonly record struct ModbusResult(ModbusExceptionCode ExceptionCode)
{
    public static ModbusResult Success => default;

    public bool IsSuccess => ExceptionCode == ModbusExceptionCode.None;

    /// <summary>Throws <see cref="ModbusDeviceException"/> when the device answered with an exception.</summary>
    public void ThrowIfException()
    {
        if (!IsSuccess)
        {
            throw new ModbusDeviceException(ExceptionCode);
        }
    }

    public override string ToString() => IsSuccess ? "OK" : $"exception {(byte)ExceptionCode} ({ExceptionCode})";
}

/// <summary>The outcome of a read: the values, or the exception code the device answered with.</summary>
public readonly record struct ModbusResult<T>
{
    private readonly T? _value;

    private ModbusResult(T? value, ModbusExceptionCode exceptionCode)
    {
        _value = value;
        ExceptionCode = exceptionCode;
    }

    public ModbusExceptionCode ExceptionCode { get; }

    public bool IsSuccess => ExceptionCode == ModbusExceptionCode.None;

    /// <summary>The values read; throws <see cref="ModbusDeviceException"/> if the device answered with an exception.</summary>
    public T Value => IsSuccess ? _value! : throw new ModbusDeviceException(ExceptionCode);

    public static ModbusResult<T> Success(T value) => new(value, ModbusExceptionCode.None);

    public static ModbusResult<T> Exception(ModbusExceptionCode code) =>
        code == ModbusExceptionCode.None
            ? throw new ArgumentOutOfRangeException(nameof(code), "An exception result needs an exception code.")
            : new(default, code);

    public override string ToString() => IsSuccess ? $"OK {_value}" : $"exception {(byte)ExceptionCode} ({ExceptionCode})";
}

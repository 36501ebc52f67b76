namespace Facilities.Modbus.Protocol;

/// <summary>The exception code a device answers with when it refuses a request (the byte after function | 0x80).</summary>
public enum ModbusExceptionCode : byte
{
    /// <summary>Not an exception: the device answered normally.</summary>
    None = 0,
    IllegalFunction = 1,
    IllegalDataAddress = 2,
    IllegalDataValue = 3,
    ServerDeviceFailure = 4,
    Acknowledge = 5,
    ServerDeviceBusy = 6,
    MemoryParityError = 8,
    GatewayPathUnavailable = 10,
    GatewayTargetFailedToRespond = 11,
}

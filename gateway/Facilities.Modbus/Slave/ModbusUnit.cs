using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Slave;

/// <summary>One addressable device behind a slave endpoint: its unit id, its data, and how it is behaving right now.</summary>
public sealed class ModbusUnit(byte unitId, RegisterStore registers)
{
    public byte UnitId { get; } = unitId is >= 1 and <= 247
        ? unitId
        : throw new ArgumentOutOfRangeException(nameof(unitId), unitId, "Unit ids are 1..247 (0 is broadcast, 248..255 reserved).");

    public RegisterStore Registers { get; } = registers;

    /// <summary>False makes the unit silent, like a device that lost power or its bus connection.</summary>
    public bool Online { get; set; } = true;

    /// <summary>When set, every request is refused with this code (for example <see cref="ModbusExceptionCode.ServerDeviceBusy"/>).</summary>
    public ModbusExceptionCode ForcedException { get; set; }

    /// <summary>Delay before answering, as a slow controller would.</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary>Damages every answer on the wire (a bad CRC on RTU, a wrong byte in the PDU on TCP), like a noisy line.</summary>
    public bool CorruptResponses { get; set; }
}

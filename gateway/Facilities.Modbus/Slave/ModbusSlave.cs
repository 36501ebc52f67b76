using System.Collections.Concurrent;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Protocol.Functions;

namespace Facilities.Modbus.Slave;

/// <summary>
/// The units hosted on one slave endpoint (a TCP port or one serial line) and the request handling, with no I/O:
/// a request PDU goes in, a response PDU (or silence) comes out. Servers for each framing sit on top.
/// </summary>
public sealed class ModbusSlave
{
    private readonly ConcurrentDictionary<byte, ModbusUnit> _units = new();

    /// <summary>The exception a TCP endpoint answers for a unit it does not host (a serial line stays silent).</summary>
    public ModbusExceptionCode UnknownUnitException { get; init; } = ModbusExceptionCode.GatewayPathUnavailable;

    public IEnumerable<ModbusUnit> Units => _units.Values;

    public ModbusUnit Add(ModbusUnit unit)
    {
        if (!_units.TryAdd(unit.UnitId, unit))
        {
            throw new ArgumentException($"Unit {unit.UnitId} is already hosted here.", nameof(unit));
        }

        return unit;
    }

    public ModbusUnit Add(byte unitId, RegisterStore registers) => Add(new ModbusUnit(unitId, registers));

    public bool Remove(byte unitId) => _units.TryRemove(unitId, out _);

    public ModbusUnit? Find(byte unitId) => _units.GetValueOrDefault(unitId);

    /// <summary>
    /// Handles one request. Returns the response PDU length, or 0 for silence: a unit that is offline or not hosted
    /// on a serial line, and any broadcast (unit 0 on serial, whose writes go to every unit).
    /// </summary>
    public int Handle(byte unitId, ReadOnlySpan<byte> request, Span<byte> response, bool serial)
    {
        if (request.IsEmpty)
        {
            return 0;
        }

        if (serial && unitId == 0)
        {
            foreach (var unit in _units.Values)
            {
                if (unit.Online && IsWrite(request[0]))
                {
                    Serve(request, response, unit.Registers);
                }
            }

            return 0;
        }

        if (!_units.TryGetValue(unitId, out var target))
        {
            return serial ? 0 : Pdu.WriteException(response, request[0], UnknownUnitException);
        }

        if (!target.Online)
        {
            return 0;
        }

        return target.ForcedException != ModbusExceptionCode.None
            ? Pdu.WriteException(response, request[0], target.ForcedException)
            : Serve(request, response, target.Registers);
    }

    /// <summary>Answers one request PDU from <paramref name="registers"/>.</summary>
    public static int Serve(ReadOnlySpan<byte> request, Span<byte> response, IRegisterAccess registers) => request[0] switch
    {
        (byte)FunctionCode.ReadCoils or (byte)FunctionCode.ReadDiscreteInputs => ReadBits.Serve(request, response, registers),
        (byte)FunctionCode.ReadHoldingRegisters or (byte)FunctionCode.ReadInputRegisters => ReadRegisters.Serve(request, response, registers),
        (byte)FunctionCode.WriteSingleCoil => WriteSingleCoil.Serve(request, response, registers),
        (byte)FunctionCode.WriteSingleRegister => WriteSingleRegister.Serve(request, response, registers),
        (byte)FunctionCode.WriteMultipleCoils => WriteMultipleCoils.Serve(request, response, registers),
        (byte)FunctionCode.WriteMultipleRegisters => WriteMultipleRegisters.Serve(request, response, registers),
        (byte)FunctionCode.ReadWriteMultipleRegisters => ReadWriteMultipleRegisters.Serve(request, response, registers),
        _ => Pdu.WriteException(response, (byte)(request[0] & 0x7F), ModbusExceptionCode.IllegalFunction),
    };

    internal TimeSpan DelayFor(byte unitId) => _units.TryGetValue(unitId, out var unit) ? unit.ResponseDelay : TimeSpan.Zero;

    internal bool CorruptsFor(byte unitId) => _units.TryGetValue(unitId, out var unit) && unit.CorruptResponses;

    private static bool IsWrite(byte function) => function is (byte)FunctionCode.WriteSingleCoil or (byte)FunctionCode.WriteSingleRegister
        or (byte)FunctionCode.WriteMultipleCoils or (byte)FunctionCode.WriteMultipleRegisters;
}

using System.Text.Json;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>
/// The devices on every interop line, hosted the same way by our slave and by the pymodbus server, so each test knows
/// the exact values the other side must see. Each table declares addresses 0..<see cref="Size"/>-1: reads use the low
/// addresses, writes go to <see cref="ScratchStart"/> and above (each test its own address), and
/// <see cref="Undeclared"/> is outside every table.
/// </summary>
internal static class InteropUnits
{
    public const byte Meter = 1;
    public const byte Pump = 2;

    /// <summary>Refuses every request with exception 6, server device busy.</summary>
    public const byte Busy = 3;

    /// <summary>Hosted by nobody on the line.</summary>
    public const byte Absent = 9;

    public const ushort Size = 400;
    public const ushort ScratchStart = 130;
    public const ushort Undeclared = 500;

    /// <summary>Where the largest write a request can carry (123 registers) goes, clear of the other scratch addresses.</summary>
    public const ushort LargeScratchStart = 200;

    /// <summary>The most registers one read may ask for; the RTU answer is 255 bytes, one short of the RTU limit.</summary>
    public const ushort MaxReadRegisters = 125;

    /// <summary>The most registers one write may carry; the RTU request is 255 bytes.</summary>
    public const ushort MaxWriteRegisters = 123;

    // 32-bit values in the meter's holding registers, in both word orders (bytes are big-endian within a register).
    public const int Int32Value = -123_456_789;
    public const ushort Int32HighWordFirst = 20;
    public const ushort Int32LowWordFirst = 22;
    public const float FloatValue = 21.5f;
    public const ushort FloatHighWordFirst = 24;
    public const float NegativeFloatValue = -1234.25f;
    public const ushort NegativeFloatLowWordFirst = 26;

    /// <summary>A float in the meter's input registers, high word first.</summary>
    public const float InputFloatValue = 230.75f;
    public const ushort InputFloatHighWordFirst = 10;

    public static readonly UnitData MeterData = new(
        Meter,
        Coils: Bits("1011 0010 1110 0"),
        DiscreteInputs: Bits("0110 1001 11"),
        InputRegisters: Registers([230, 231, 229, 0, 0xFFFF, 0x8000, 17, 4, 0, 0], (InputFloatHighWordFirst, Words.FromSingle(InputFloatValue, highWordFirst: true))),
        HoldingRegisters: Registers(
            [1000, 2000, 3000, 0, 0xFFFF, 0x8000, 42, 7, 0x1234, 0x5678],
            (30, [.. Enumerable.Range(0, MaxReadRegisters - 30).Select(i => (ushort)(0x3000 + i * 0x0101))]),
            (Int32HighWordFirst, Words.FromInt32(Int32Value, highWordFirst: true)),
            (Int32LowWordFirst, Words.FromInt32(Int32Value, highWordFirst: false)),
            (FloatHighWordFirst, Words.FromSingle(FloatValue, highWordFirst: true)),
            (NegativeFloatLowWordFirst, Words.FromSingle(NegativeFloatValue, highWordFirst: false))));

    public static readonly UnitData PumpData = new(
        Pump,
        Coils: Bits("0100 1101 0001 1"),
        DiscreteInputs: Bits("1001 0110 00"),
        InputRegisters: Registers([2301, 2302, 2303, 2304, 2305, 2306, 2307, 2308, 2309, 2310]),
        HoldingRegisters: Registers([201, 202, 203, 204, 205, 206, 207, 208, 209, 210]));

    public static readonly UnitData BusyData = new(
        Busy,
        Coils: Bits("1111"),
        DiscreteInputs: Bits("1111"),
        InputRegisters: Registers([3]),
        HoldingRegisters: Registers([3]));

    public static IReadOnlyList<UnitData> All { get; } = [MeterData, PumpData, BusyData];

    /// <summary>Our slave hosting every unit; the busy one refuses everything.</summary>
    public static ModbusSlave CreateSlave()
    {
        var slave = new ModbusSlave();
        foreach (var unit in All)
        {
            var added = slave.Add(unit.Unit, unit.CreateStore());
            if (unit.Unit == Busy)
            {
                added.ForcedException = ModbusExceptionCode.ServerDeviceBusy;
            }
        }

        return slave;
    }

    /// <summary>The units as pymodbus_server.py's --units argument.</summary>
    public static string ToPymodbusJson()
    {
        var units = All.ToDictionary(
            u => u.Unit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            u => new Dictionary<string, object>
            {
                ["co"] = Block(u.Coils),
                ["di"] = Block(u.DiscreteInputs),
                ["ir"] = Block(u.InputRegisters),
                ["hr"] = Block(u.HoldingRegisters),
            });
        return JsonSerializer.Serialize(units);

        // Trailing zeros are implied by the size, which keeps the command line short.
        static object Block(ushort[] values) =>
            new { start = 0, size = values.Length, values = values[..(Array.FindLastIndex(values, v => v != 0) + 1)] };
    }

    /// <summary>Bits from "1011 0010"; the rest of the table is off.</summary>
    private static ushort[] Bits(string pattern)
    {
        var bits = new ushort[Size];
        var digits = pattern.Replace(" ", "", StringComparison.Ordinal);
        for (var i = 0; i < digits.Length; i++)
        {
            bits[i] = digits[i] == '1' ? (ushort)1 : (ushort)0;
        }

        return bits;
    }

    private static ushort[] Registers(ushort[] first, params (ushort Address, ushort[] Words)[] more)
    {
        var registers = new ushort[Size];
        first.CopyTo(registers, 0);
        foreach (var (address, words) in more)
        {
            words.CopyTo(registers, address);
        }

        return registers;
    }
}

/// <summary>One device's four tables, each from address 0 (bits as 0/1).</summary>
internal sealed record UnitData(byte Unit, ushort[] Coils, ushort[] DiscreteInputs, ushort[] InputRegisters, ushort[] HoldingRegisters)
{
    public bool[] CoilBits(int start, int count) => [.. Coils.Skip(start).Take(count).Select(b => b != 0)];

    public bool[] DiscreteInputBits(int start, int count) => [.. DiscreteInputs.Skip(start).Take(count).Select(b => b != 0)];

    public ushort[] Holding(int start, int count) => HoldingRegisters[start..(start + count)];

    public ushort[] Input(int start, int count) => InputRegisters[start..(start + count)];

    public RegisterStore CreateStore()
    {
        var store = new RegisterStore()
            .Declare(RegisterTable.Coils, 0, InteropUnits.Size)
            .Declare(RegisterTable.DiscreteInputs, 0, InteropUnits.Size)
            .Declare(RegisterTable.InputRegisters, 0, InteropUnits.Size)
            .Declare(RegisterTable.HoldingRegisters, 0, InteropUnits.Size);
        store.Set(RegisterTable.Coils, 0, Coils);
        store.Set(RegisterTable.DiscreteInputs, 0, DiscreteInputs);
        store.Set(RegisterTable.InputRegisters, 0, InputRegisters);
        store.Set(RegisterTable.HoldingRegisters, 0, HoldingRegisters);
        return store;
    }
}

/// <summary>32-bit values as two registers, each register big-endian, in either word order.</summary>
internal static class Words
{
    public static ushort[] FromInt32(int value, bool highWordFirst) => Order((uint)value, highWordFirst);

    public static ushort[] FromSingle(float value, bool highWordFirst) => Order(BitConverter.SingleToUInt32Bits(value), highWordFirst);

    private static ushort[] Order(uint bits, bool highWordFirst)
    {
        var high = (ushort)(bits >> 16);
        var low = (ushort)bits;
        return highWordFirst ? [high, low] : [low, high];
    }
}

using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.FirmwareSim.Maps;

/// <summary>
/// A device kind's documented register map. The simulator writes its values through the map, the docs are generated
/// from it, and the tests read every point back with an independent Modbus client, so the three cannot drift apart.
/// </summary>
public sealed class RegisterMap
{
    private readonly Dictionary<string, RegisterPoint> _byName;

    public RegisterMap(string kind, string title, string notes, IReadOnlyList<RegisterPoint> points)
    {
        Kind = kind;
        Title = title;
        Notes = notes;
        Points = points;
        _byName = points.ToDictionary(p => p.Name, StringComparer.Ordinal);
        CheckNoOverlap();
    }

    public string Kind { get; }

    public string Title { get; }

    public string Notes { get; }

    public IReadOnlyList<RegisterPoint> Points { get; }

    public RegisterPoint this[string name] => _byName.TryGetValue(name, out var point)
        ? point
        : throw new KeyNotFoundException($"The {Kind} register map has no point '{name}'.");

    /// <summary>A register store with every block the map uses declared (contiguous runs become one block).</summary>
    public RegisterStore CreateStore()
    {
        var store = new RegisterStore();
        foreach (var table in Enum.GetValues<RegisterTable>())
        {
            var addresses = Points.Where(p => p.Table == table)
                .SelectMany(p => Enumerable.Range(p.Address, p.RegisterCount))
                .Distinct().Order().ToList();
            var i = 0;
            while (i < addresses.Count)
            {
                var start = addresses[i];
                var end = start;
                while (i + 1 < addresses.Count && addresses[i + 1] == end + 1)
                {
                    end = addresses[++i];
                }

                store.Declare(table, (ushort)start, end - start + 1);
                i++;
            }
        }

        return store;
    }

    /// <summary>Writes an engineering value into the store as the map lays it out. Call inside <see cref="RegisterStore.Update"/>.</summary>
    public void Write(RegisterStore store, string name, double value)
    {
        var point = this[name];
        switch (point.Type)
        {
            case PointType.Bool:
                store.SetBit(point.Table, point.Address, value != 0);
                break;
            case PointType.Bit:
                var word = store.Get(point.Table, point.Address);
                var mask = (ushort)(1 << point.Bit);
                store.Set(point.Table, point.Address, value != 0 ? (ushort)(word | mask) : (ushort)(word & ~mask));
                break;
            default:
                Span<ushort> registers = stackalloc ushort[2];
                var count = Encode(point, value, registers);
                store.Set(point.Table, point.Address, registers[..count]);
                break;
        }
    }

    /// <summary>Reads a point back as an engineering value.</summary>
    public double Read(RegisterStore store, string name)
    {
        var point = this[name];
        Span<ushort> registers = stackalloc ushort[2];
        for (var i = 0; i < point.RegisterCount; i++)
        {
            registers[i] = store.Get(point.Table, (ushort)(point.Address + i));
        }

        return Decode(point, registers);
    }

    /// <summary>Raw registers for a value; returns how many were written.</summary>
    public static int Encode(RegisterPoint point, double value, Span<ushort> registers)
    {
        var raw = point.Type == PointType.Float32 ? value : Math.Round(value / point.Scale);
        uint bits;
        switch (point.Type)
        {
            case PointType.UInt16:
                registers[0] = (ushort)Math.Clamp(raw, 0, ushort.MaxValue);
                return 1;
            case PointType.Int16:
                registers[0] = (ushort)(short)Math.Clamp(raw, short.MinValue, short.MaxValue);
                return 1;
            case PointType.UInt32:
                bits = (uint)Math.Clamp(raw, 0, uint.MaxValue);
                break;
            case PointType.Int32:
                bits = (uint)(int)Math.Clamp(raw, int.MinValue, int.MaxValue);
                break;
            case PointType.Float32:
                bits = BitConverter.SingleToUInt32Bits((float)(value / point.Scale));
                break;
            default:
                registers[0] = value != 0 ? (ushort)1 : (ushort)0;
                return 1;
        }

        var (first, second) = point.WordOrder == WordOrder.HighFirst
            ? ((ushort)(bits >> 16), (ushort)bits)
            : ((ushort)bits, (ushort)(bits >> 16));
        registers[0] = first;
        registers[1] = second;
        return 2;
    }

    /// <summary>The engineering value of raw registers, as a reader following the documentation would compute it.</summary>
    public static double Decode(RegisterPoint point, ReadOnlySpan<ushort> registers)
    {
        var bits32 = point.RegisterCount < 2 ? 0
            : point.WordOrder == WordOrder.HighFirst
                ? ((uint)registers[0] << 16) | registers[1]
                : ((uint)registers[1] << 16) | registers[0];
        return point.Type switch
        {
            PointType.Bool => registers[0] != 0 ? 1 : 0,
            PointType.Bit => (registers[0] >> point.Bit) & 1,
            PointType.UInt16 => registers[0] * point.Scale,
            PointType.Int16 => (short)registers[0] * point.Scale,
            PointType.UInt32 => bits32 * point.Scale,
            PointType.Int32 => (int)bits32 * point.Scale,
            _ => BitConverter.UInt32BitsToSingle(bits32) * point.Scale,
        };
    }

    private void CheckNoOverlap()
    {
        var used = new Dictionary<(RegisterTable, int), RegisterPoint>();
        foreach (var point in Points)
        {
            for (var i = 0; i < point.RegisterCount; i++)
            {
                var key = (point.Table, point.Address + i);
                if (used.TryGetValue(key, out var other) && !(point.Type == PointType.Bit && other.Type == PointType.Bit && point.Bit != other.Bit))
                {
                    throw new InvalidOperationException($"{Kind} map: '{point.Name}' overlaps '{other.Name}' at {point.Table} {point.Address + i}.");
                }

                used[key] = point;
            }
        }
    }
}

using Facilities.Modbus.Protocol;

namespace Facilities.FirmwareSim.Maps;

/// <summary>
/// One documented value in a device's register map. The raw value on the wire is (engineering value - offset) / scale;
/// enumerations list their labels; bits name their position in a status word.
/// </summary>
public sealed record RegisterPoint
{
    public required string Name { get; init; }

    public required RegisterTable Table { get; init; }

    public required ushort Address { get; init; }

    public required PointType Type { get; init; }

    public required string Meaning { get; init; }

    public WordOrder WordOrder { get; init; } = WordOrder.HighFirst;

    /// <summary>Bit position 0..15 for <see cref="PointType.Bit"/>.</summary>
    public int Bit { get; init; }

    public double Scale { get; init; } = 1;

    public string Unit { get; init; } = "";

    /// <summary>Labels of an enumeration, by raw value.</summary>
    public IReadOnlyDictionary<int, string>? Labels { get; init; }

    /// <summary>True where a master may write it (coils and holding registers marked writable).</summary>
    public bool Writable { get; init; }

    public int RegisterCount => Type.RegisterCount();

    /// <summary>A bit of the status word at address 0 of <paramref name="table"/>, the layout every kind here uses.</summary>
    public static RegisterPoint StatusBit(RegisterTable table, string name, int bit, string meaning) => new()
    {
        Name = name, Table = table, Address = 0, Type = PointType.Bit, Bit = bit, Meaning = $"Status word bit {bit}: {meaning}",
    };
}

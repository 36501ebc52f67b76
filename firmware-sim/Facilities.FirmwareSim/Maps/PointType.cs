namespace Facilities.FirmwareSim.Maps;

/// <summary>How a point's value is laid out in its registers.</summary>
#pragma warning disable CA1720 // The members name the wire types on purpose.
public enum PointType
{
    /// <summary>A coil or discrete input.</summary>
    Bool,

    /// <summary>One bit of a 16-bit register (status words).</summary>
    Bit,
    UInt16,
    Int16,
    UInt32,
    Int32,
    Float32,
}
#pragma warning restore CA1720

/// <summary>Order of the 16-bit words of a 32-bit value. Bytes inside a word are always big-endian on Modbus.</summary>
public enum WordOrder
{
    /// <summary>High word first ("ABCD"), the Modbus convention.</summary>
    HighFirst,

    /// <summary>Low word first ("CDAB", word-swapped), common on PLC-based controllers.</summary>
    LowFirst,
}

public static class PointTypeExtensions
{
    public static int RegisterCount(this PointType type) => type is PointType.UInt32 or PointType.Int32 or PointType.Float32 ? 2 : 1;

    public static string Label(this PointType type) => type switch
    {
        PointType.Bool => "bool",
        PointType.Bit => "bit",
        PointType.UInt16 => "uint16",
        PointType.Int16 => "int16",
        PointType.UInt32 => "uint32",
        PointType.Int32 => "int32",
        _ => "float32",
    };
}

using System.Buffers.Binary;
using System.Globalization;

namespace Facilities.Gateway.Profiles;

/// <summary>Turns an engineering value into the registers a profile point occupies: the inverse of <see cref="PointDecoder"/>.</summary>
public static class PointEncoder
{
    /// <summary>The raw words to write, or an error saying why the value cannot be written to this point.</summary>
    public static (ushort[]? Words, string? Error) Encode(PointSpec point, double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return (null, $"{value.ToString(CultureInfo.InvariantCulture)} is not a number");
        }

        if (point.Type is PointType.Bool or PointType.Bit)
        {
            return value is 0 or 1 ? ([(ushort)value], null) : (null, $"{point.Name} is a bit: write 0 or 1");
        }

        if (point.Type == PointType.String)
        {
            return (null, $"{point.Name} is text; commands write numbers");
        }

        var raw = (value - point.Offset) / point.Scale;
        ulong bits;
        switch (point.Type)
        {
            case PointType.Float32:
                bits = BitConverter.SingleToUInt32Bits((float)raw);
                break;
            case PointType.Float64:
                bits = BitConverter.DoubleToUInt64Bits(raw);
                break;
            default:
                var rounded = Math.Round(raw);
                var (min, max) = point.Type switch
                {
                    PointType.Int16 => (short.MinValue, short.MaxValue),
                    PointType.UInt16 => (0, ushort.MaxValue),
                    PointType.Int32 => (int.MinValue, int.MaxValue),
                    PointType.UInt32 => (0, uint.MaxValue),
                    PointType.Int64 => ((double)long.MinValue, (double)long.MaxValue),
                    _ => (0, (double)ulong.MaxValue),
                };
                if (rounded < min || rounded > max)
                {
                    return (null, string.Create(CultureInfo.InvariantCulture, $"{value} is outside what {point.Name} ({point.Type}) can hold"));
                }

                bits = point.Type is PointType.Int16 or PointType.Int32 or PointType.Int64 ? unchecked((ulong)(long)rounded) : (ulong)rounded;
                break;
        }

        var words = new ushort[point.Count];
        for (var i = 0; i < point.Count; i++)
        {
            var word = (ushort)(bits >> (16 * (point.Count - 1 - i)));
            words[point.WordSwap ? point.Count - 1 - i : i] = point.ByteSwap ? BinaryPrimitives.ReverseEndianness(word) : word;
        }

        return (words, null);
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Facilities.Gateway.Profiles;

/// <summary>A decoded reading: a number (bools are 0/1), or text for string points, with its enum label if any.</summary>
public readonly record struct PointValue(double Number, string? Text = null, string? Label = null)
{
    public override string ToString() => Text ?? Label ?? Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Turns raw registers into engineering values as a profile point describes them, rounded to the precision the
/// point's scale and offset imply (<see cref="ValuePrecision"/>). Pure; no I/O.
/// </summary>
public static class PointDecoder
{
    /// <summary>Decodes <paramref name="point"/> from its registers (or bits as 0/1 words for coils and discrete inputs).</summary>
    public static PointValue Decode(PointSpec point, ReadOnlySpan<ushort> raw)
    {
        if (raw.Length < point.Count)
        {
            throw new ArgumentException($"{point.Name} needs {point.Count} registers, got {raw.Length}.", nameof(raw));
        }

        if (point.Type == PointType.String)
        {
            return new PointValue(double.NaN, DecodeString(point, raw[..point.Count]));
        }

        Span<ushort> words = stackalloc ushort[point.Count];
        for (var i = 0; i < point.Count; i++)
        {
            var word = raw[point.WordSwap ? point.Count - 1 - i : i];
            words[i] = point.ByteSwap ? BinaryPrimitives.ReverseEndianness(word) : word;
        }

        ulong bits = 0;
        foreach (var word in words)
        {
            bits = (bits << 16) | word;
        }

        double number = point.Type switch
        {
            PointType.Bool => raw[0] != 0 ? 1 : 0,
            PointType.Bit => (words[0] >> point.Bit) & 1,
            PointType.Int16 => (short)bits,
            PointType.UInt16 => (ushort)bits,
            PointType.Int32 => (int)bits,
            PointType.UInt32 => (uint)bits,
            PointType.Int64 => (long)bits,
            PointType.UInt64 => bits,
            PointType.Float32 => ValuePrecision.Widen(BitConverter.UInt32BitsToSingle((uint)bits)),
            _ => BitConverter.UInt64BitsToDouble(bits),
        };
        var label = point.Labels is not null && point.Labels.TryGetValue((long)number, out var l) ? l : null;
        var value = point.Type switch
        {
            PointType.Bool or PointType.Bit => number,
            // A float needs no arithmetic without scale and offset, so nothing to round.
            PointType.Float32 or PointType.Float64 when point.Scale == 1 && point.Offset == 0 => number,
            PointType.Float32 or PointType.Float64 => ValuePrecision.RoundSignificant((number * point.Scale) + point.Offset),
            _ => ValuePrecision.Round((number * point.Scale) + point.Offset, point.Decimals),
        };
        return new PointValue(value, Label: label);
    }

    private static string DecodeString(PointSpec point, ReadOnlySpan<ushort> words)
    {
        Span<byte> bytes = stackalloc byte[words.Length * 2];
        for (var i = 0; i < words.Length; i++)
        {
            var word = point.ByteSwap ? BinaryPrimitives.ReverseEndianness(words[i]) : words[i];
            BinaryPrimitives.WriteUInt16BigEndian(bytes[(2 * i)..], word);
        }

        var end = bytes.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? bytes : bytes[..end]).TrimEnd();
    }
}

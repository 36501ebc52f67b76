using System.Buffers;
using System.Globalization;
using System.Text;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>A tag of a point; a null or empty value leaves the tag out (line protocol has no empty tag values).</summary>
public readonly record struct Tag(string Key, string? Value);

/// <summary>A field of a point: a float, or a string when <see cref="Text"/> is set.</summary>
public readonly record struct Field(string Key, double Number, string? Text)
{
    public static Field OfNumber(string key, double value) => new(key, value, null);

    public static Field OfText(string key, string value) => new(key, 0, value);
}

/// <summary>One point before it is written: measurement, tags, fields and its time (written with millisecond precision).</summary>
public sealed record LinePoint(string Measurement, IReadOnlyList<Tag> Tags, IReadOnlyList<Field> Fields, DateTimeOffset Time);

/// <summary>
/// Formats points as InfluxDB line protocol with millisecond timestamps (the <c>precision=ms</c> of every write). Pure.
/// Names (measurement, tag keys and values, field keys) escape comma, space and (except the measurement) equals with
/// a backslash; string field values escape double quote and backslash. Line protocol has no way to write a newline
/// in a name or value, so CR and LF become spaces; and InfluxDB 1.x keeps backslashes in names literally and cannot
/// parse one before a separator or at the end of a name, so a backslash in a name becomes '/'.
/// </summary>
public static class LineProtocol
{
    /// <summary>The line for <paramref name="point"/>; null when no field has a value that can be written (NaN, ±∞, empty key).</summary>
    public static string? Format(LinePoint point)
    {
        var line = new ArrayBufferWriter<byte>(128);
        return Write(line, point) ? Encoding.UTF8.GetString(line.WrittenSpan) : null;
    }

    /// <summary>
    /// Writes the line for <paramref name="point"/> in UTF-8 (without a line end) to <paramref name="output"/>, as InfluxDB
    /// reads it and the history outbox stores it; false, and nothing written, when no field has a value that can be
    /// written. A batch's lines go into one buffer this way, with no string per line.
    /// </summary>
    public static bool Write(IBufferWriter<byte> output, LinePoint point)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(point);
        if (string.IsNullOrEmpty(point.Measurement))
        {
            throw new ArgumentException("a point needs a measurement", nameof(point));
        }

        if (!HasWritableField(point.Fields))
        {
            return false;
        }

        WriteMeasurement(output, point.Measurement);
        WriteTags(output, point.Tags);
        var separator = (byte)' ';
        foreach (var field in point.Fields)
        {
            if (!IsWritable(field))
            {
                continue;
            }

            WriteByte(output, separator);
            separator = (byte)',';
            WriteName(output, field.Key);
            WriteByte(output, (byte)'=');
            if (field.Text is null)
            {
                WriteFormattable(output, field.Number, "R");
            }
            else
            {
                WriteString(output, field.Text);
            }
        }

        WriteByte(output, (byte)' ');
        WriteFormattable(output, point.Time.ToUnixTimeMilliseconds(), default);
        return true;
    }

    private static bool IsWritable(Field field) => !string.IsNullOrEmpty(field.Key) && (field.Text is not null || double.IsFinite(field.Number));

    private static bool HasWritableField(IReadOnlyList<Field> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (IsWritable(fields[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The tags with a key and a value, in key order (line protocol's advice for the fastest writes).</summary>
    private static void WriteTags(IBufferWriter<byte> output, IReadOnlyList<Tag> tags)
    {
        Span<int> order = stackalloc int[Math.Min(tags.Count, 32)];
        if (tags.Count > order.Length)
        {
            order = new int[tags.Count];
        }

        var count = 0;
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.IsNullOrEmpty(tags[i].Key) || string.IsNullOrEmpty(tags[i].Value))
            {
                continue;
            }

            // Insertion sort: a point has a handful of tags.
            var at = count++;
            while (at > 0 && string.CompareOrdinal(tags[order[at - 1]].Key, tags[i].Key) > 0)
            {
                order[at] = order[at - 1];
                at--;
            }

            order[at] = i;
        }

        foreach (var index in order[..count])
        {
            WriteByte(output, (byte)',');
            WriteName(output, tags[index].Key);
            WriteByte(output, (byte)'=');
            WriteName(output, tags[index].Value!);
        }
    }

    /// <summary>
    /// A float field value: the shortest text that reads back as the same double. Integral values have no decimal
    /// point and no <c>i</c> suffix, so they are still floats — every numeric field we write is a float, which keeps
    /// a field's type the same whatever value arrives first.
    /// </summary>
    public static string FormatFloat(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The characters a name (measurement, tag key or value, field key) cannot hold as they are.</summary>
    private static readonly SearchValues<char> NameSpecials = SearchValues.Create(",= \r\n\\");

    /// <summary>The characters a string field value cannot hold as they are.</summary>
    private static readonly SearchValues<char> StringSpecials = SearchValues.Create("\"\\\r\n");

    private static void WriteMeasurement(IBufferWriter<byte> output, string measurement)
    {
        // A line that starts with '#' is a comment: the point would vanish without an error.
        if (measurement[0] == '#')
        {
            WriteByte(output, (byte)'_');
            measurement = measurement[1..];
        }

        WriteEscaped(output, measurement, escapeEquals: false);
    }

    private static void WriteName(IBufferWriter<byte> output, string name) => WriteEscaped(output, name, escapeEquals: true);

    private static void WriteEscaped(IBufferWriter<byte> output, string name, bool escapeEquals) =>
        WriteText(output, name.AsSpan().IndexOfAny(NameSpecials) < 0 ? name : Escape(name, c => c switch
        {
            ',' => "\\,",
            ' ' => "\\ ",
            '=' when escapeEquals => "\\=",
            '\r' or '\n' => "\\ ",
            '\\' => "/",
            _ => null,
        }));

    private static void WriteString(IBufferWriter<byte> output, string value)
    {
        WriteByte(output, (byte)'"');
        WriteText(output, value.AsSpan().IndexOfAny(StringSpecials) < 0 ? value : Escape(value, c => c switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\r' or '\n' => " ",
            _ => null,
        }));
        WriteByte(output, (byte)'"');
    }

    /// <summary><paramref name="text"/> with each character <paramref name="replacement"/> has a replacement for replaced (the rare path: a name or value with a special character).</summary>
    private static string Escape(string text, Func<char, string?> replacement)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (replacement(c) is { } replaced)
            {
                escaped.Append(replaced);
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    /// <summary>The text in UTF-8 (a lone surrogate becomes U+FFFD, as with any UTF-8 encoding of ours).</summary>
    private static void WriteText(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private static void WriteFormattable<T>(IBufferWriter<byte> output, T value, ReadOnlySpan<char> format)
        where T : IUtf8SpanFormattable
    {
        var span = output.GetSpan(32);
        if (!value.TryFormat(span, out var written, format, CultureInfo.InvariantCulture))
        {
            span = output.GetSpan(128);
            if (!value.TryFormat(span, out written, format, CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"cannot format {value}");
            }
        }

        output.Advance(written);
    }
}

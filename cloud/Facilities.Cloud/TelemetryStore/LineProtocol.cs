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
        var line = new StringBuilder(128);
        return Append(line, point) ? line.ToString() : null;
    }

    /// <summary>
    /// Appends the line for <paramref name="point"/> (without a line end) to <paramref name="line"/>; false, and nothing
    /// appended, when no field has a value that can be written. A batch's lines go into one builder this way, with no
    /// string per line.
    /// </summary>
    public static bool Append(StringBuilder line, LinePoint point)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(point);
        var start = line.Length;
        AppendMeasurement(line, point.Measurement);
        AppendTags(line, point.Tags);
        var separator = ' ';
        foreach (var field in point.Fields)
        {
            if (string.IsNullOrEmpty(field.Key) || (field.Text is null && !double.IsFinite(field.Number)))
            {
                continue;
            }

            line.Append(separator);
            separator = ',';
            AppendName(line, field.Key);
            line.Append('=');
            if (field.Text is null)
            {
                line.Append(CultureInfo.InvariantCulture, $"{field.Number:R}");
            }
            else
            {
                AppendString(line, field.Text);
            }
        }

        if (separator == ' ')
        {
            line.Length = start;
            return false;
        }

        line.Append(CultureInfo.InvariantCulture, $" {point.Time.ToUnixTimeMilliseconds()}");
        return true;
    }

    /// <summary>The tags with a key and a value, in key order (line protocol's advice for the fastest writes).</summary>
    private static void AppendTags(StringBuilder line, IReadOnlyList<Tag> tags)
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
            line.Append(',');
            AppendName(line, tags[index].Key);
            line.Append('=');
            AppendName(line, tags[index].Value!);
        }
    }

    /// <summary>
    /// A float field value: the shortest text that reads back as the same double. Integral values have no decimal
    /// point and no <c>i</c> suffix, so they are still floats — every numeric field we write is a float, which keeps
    /// a field's type the same whatever value arrives first.
    /// </summary>
    public static string FormatFloat(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void AppendMeasurement(StringBuilder line, string measurement)
    {
        if (string.IsNullOrEmpty(measurement))
        {
            throw new ArgumentException("a point needs a measurement", nameof(measurement));
        }

        // A line that starts with '#' is a comment: the point would vanish without an error.
        var start = line.Length;
        AppendEscaped(line, measurement, escapeEquals: false);
        if (line[start] == '#')
        {
            line[start] = '_';
        }
    }

    private static void AppendName(StringBuilder line, string name) => AppendEscaped(line, name, escapeEquals: true);

    private static void AppendEscaped(StringBuilder line, string name, bool escapeEquals)
    {
        foreach (var c in name)
        {
            switch (c)
            {
                case ',' or ' ':
                    line.Append('\\').Append(c);
                    break;
                case '=' when escapeEquals:
                    line.Append("\\=");
                    break;
                case '\r' or '\n':
                    line.Append("\\ ");
                    break;
                case '\\':
                    line.Append('/');
                    break;
                default:
                    line.Append(c);
                    break;
            }
        }
    }

    private static void AppendString(StringBuilder line, string value)
    {
        line.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"' or '\\':
                    line.Append('\\').Append(c);
                    break;
                case '\r' or '\n':
                    line.Append(' ');
                    break;
                default:
                    line.Append(c);
                    break;
            }
        }

        line.Append('"');
    }
}

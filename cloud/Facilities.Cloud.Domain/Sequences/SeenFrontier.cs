namespace Facilities.Cloud.Domain.Sequences;

/// <summary>
/// Where a gateway's handled runs are kept: the settled ones one row per run (<c>seen_ranges</c>), the ones still filling
/// in together in one value, the gateway's frontier (<c>gateway_streams.frontier</c>, <see cref="Encode"/>). A backlog
/// spread over several consumer slots comes back every slots-th number at a time, so while it drains a gateway holds
/// thousands of short runs that each batch joins up: kept as rows, a batch deleted and inserted about as many rows as it
/// had messages; kept in the frontier, it rewrites one value per gateway however the numbers interleave. Once the gaps
/// are filled the gateway is back to a run or a few, and those are rows again.
/// </summary>
public static class SeenFrontier
{
    /// <summary>A gateway with at most this many runs keeps them all as rows (the usual case: one run, or a few real gaps).</summary>
    public const int RowsAtMost = 16;

    /// <summary>Runs whose last number arrived longer ago than this are settled (rows); the frontier starts at the lowest younger one.</summary>
    public static readonly TimeSpan YoungFor = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Splits a gateway's runs (in order, none touching) into the settled ones (rows) and the frontier: all rows when
    /// there are at most <see cref="RowsAtMost"/>, otherwise the frontier is every run from the lowest one whose last number
    /// arrived at or after <c>now − YoungFor</c> (milliseconds since the epoch) on.
    /// </summary>
    public static (SeenRange[] Rows, SeenRange[] Frontier) Split(SeenRange[] ordered, long now)
    {
        ArgumentNullException.ThrowIfNull(ordered);
        if (ordered.Length <= RowsAtMost)
        {
            return (ordered, []);
        }

        var young = now - (long)YoungFor.TotalMilliseconds;
        var first = Array.FindIndex(ordered, run => run.LastReceived >= young);
        return first < 0 ? (ordered, []) : (ordered[..first], ordered[first..]);
    }

    /// <summary>The runs of both parts in order (the frontier's runs all lie above the rows').</summary>
    public static SeenRange[] Join(SeenRange[] rows, SeenRange[] frontier)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(frontier);
        return frontier.Length == 0 ? rows : rows.Length == 0 ? frontier : [.. rows, .. frontier];
    }

    private const byte FormatVersion = 1;

    /// <summary>
    /// The frontier as bytes: a format byte, the number of runs, then per run its first number, length, first and last
    /// arrival as zigzag varints relative to the run before (a few bytes per run); null for no runs.
    /// </summary>
    public static byte[]? Encode(IReadOnlyList<SeenRange> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            return null;
        }

        var bytes = new List<byte>(2 + (runs.Count * 8)) { FormatVersion };
        Write(bytes, runs.Count);
        var (lastSeq, firstReceived) = (0L, 0L);
        foreach (var run in runs)
        {
            Write(bytes, run.FirstSeq - lastSeq);
            Write(bytes, run.LastSeq - run.FirstSeq);
            Write(bytes, run.FirstReceived - firstReceived);
            Write(bytes, run.LastReceived - run.FirstReceived);
            (lastSeq, firstReceived) = (run.LastSeq, run.FirstReceived);
        }

        return [.. bytes];
    }

    /// <summary>The runs <see cref="Encode"/> wrote; no runs for null. Throws <see cref="InvalidDataException"/> for anything else.</summary>
    public static SeenRange[] Decode(byte[]? bytes)
    {
        if (bytes is null || bytes.Length == 0)
        {
            return [];
        }

        if (bytes[0] != FormatVersion)
        {
            throw new InvalidDataException($"frontier format {bytes[0]} is not {FormatVersion}");
        }

        var at = 1;
        var count = Read(bytes, ref at);
        if (count < 0 || count > bytes.Length)
        {
            throw new InvalidDataException($"frontier says {count} runs in {bytes.Length} bytes");
        }

        var runs = new SeenRange[count];
        var (lastSeq, firstReceived) = (0L, 0L);
        for (var i = 0; i < runs.Length; i++)
        {
            var first = lastSeq + Read(bytes, ref at);
            var last = first + Read(bytes, ref at);
            var received = firstReceived + Read(bytes, ref at);
            runs[i] = new SeenRange(first, last, received, received + Read(bytes, ref at));
            if (last < first || (i > 0 && first <= runs[i - 1].LastSeq + 1))
            {
                throw new InvalidDataException($"frontier run {i} ({first}–{last}) is out of order");
            }

            (lastSeq, firstReceived) = (last, received);
        }

        if (at != bytes.Length)
        {
            throw new InvalidDataException($"frontier has {bytes.Length - at} bytes after its {count} runs");
        }

        return runs;
    }

    private static void Write(List<byte> bytes, long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        while (zigzag >= 0x80)
        {
            bytes.Add((byte)(zigzag | 0x80));
            zigzag >>= 7;
        }

        bytes.Add((byte)zigzag);
    }

    private static long Read(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
            {
                throw new InvalidDataException("frontier ends inside a number");
            }

            var b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (long)(value >> 1) ^ -(long)(value & 1);
            }
        }

        throw new InvalidDataException("frontier has a number longer than 64 bits");
    }
}

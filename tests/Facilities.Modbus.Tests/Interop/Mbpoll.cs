using System.Globalization;
using System.Text.RegularExpressions;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>
/// libmodbus' mbpoll as a one-shot master against a <see cref="HostedSlave"/>: PDU addressing (-0), one poll (-1),
/// verbose (-v) so the test also sees the frames it sent.
/// </summary>
internal static partial class Mbpoll
{
    /// <summary>mbpoll's reply timeout for a live slave; it accepts at most 10 s.</summary>
    public const string ReplyTimeout = "3";

    /// <summary>Runs mbpoll with <paramref name="options"/>; <paramref name="values"/>, if any, make it write.</summary>
    public static async Task<MbpollRun> RunAsync(
        HostedSlave slave, IEnumerable<string> options, IEnumerable<string>? values, CancellationToken cancellationToken, string timeout = ReplyTimeout)
    {
        var (transport, target) = slave.Transport switch
        {
            SlaveTransport.Tcp => ((string[])["-m", "tcp", "-p", slave.Port.ToString(CultureInfo.InvariantCulture)], "127.0.0.1"),
            SlaveTransport.RtuOnPty => (["-m", "rtu", "-b", InteropTools.BaudRate.ToString(CultureInfo.InvariantCulture), "-P", "none", "-s", "1"], slave.PeerDevice),
            _ => throw new ArgumentOutOfRangeException(nameof(slave), slave.Transport, "mbpoll speaks Modbus TCP and serial RTU only."),
        };
        string[] arguments = ["-1", "-v", "-0", "-o", timeout, .. transport, .. options, target];
        if (values is not null)
        {
            // "--" lets negative values through.
            arguments = [.. arguments, "--", .. values];
        }

        var run = await InteropTools.RunPeerAsync(InteropTools.Mbpoll, arguments, TimeSpan.FromSeconds(30), cancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine(run.ToString());
        return new MbpollRun(run, slave.Transport == SlaveTransport.Tcp ? 7 : 1);
    }

    [GeneratedRegex(@"^-- Polling slave (\d+)\.\.\.$")]
    internal static partial Regex PollingLine();

    [GeneratedRegex(@"^\[(\d+)\]:\s+(\S+)(\s+\(-?\d+\))?\s*$")]
    internal static partial Regex ValueLine();

    [GeneratedRegex(@"^(\[[0-9A-Fa-f]{2}\])+$")]
    internal static partial Regex SentFrameLine();
}

/// <summary>One mbpoll run: what it read from each unit, the frames it sent, and its complaints.</summary>
internal sealed record MbpollRun(ChildProcessRun Run, int FunctionCodeOffset)
{
    public bool Succeeded => Run.ExitCode == 0 && !Run.Stderr.Contains("failed", StringComparison.Ordinal);

    /// <summary>The values printed for <paramref name="unit"/> as (reference, text), e.g. (20, "-123456789").</summary>
    public IReadOnlyList<(int Reference, string Text)> ValuesOf(byte unit)
    {
        var values = new List<(int, string)>();
        var current = -1;
        foreach (var line in Lines)
        {
            if (Mbpoll.PollingLine().Match(line) is { Success: true } polling)
            {
                current = int.Parse(polling.Groups[1].Value, CultureInfo.InvariantCulture);
            }
            else if (current == unit && Mbpoll.ValueLine().Match(line) is { Success: true } value)
            {
                values.Add((int.Parse(value.Groups[1].Value, CultureInfo.InvariantCulture), value.Groups[2].Value));
            }
        }

        return values;
    }

    /// <summary>The values printed for <paramref name="unit"/>, as integers.</summary>
    public int[] IntegersOf(byte unit) => [.. ValuesOf(unit).Select(v => int.Parse(v.Text, CultureInfo.InvariantCulture))];

    /// <summary>The function code of every request frame mbpoll sent.</summary>
    public byte[] SentFunctionCodes =>
    [
        .. Lines.Where(l => Mbpoll.SentFrameLine().IsMatch(l))
            .Select(l => byte.Parse(l.Split(']', '[').Where(b => b.Length > 0).ElementAt(FunctionCodeOffset), NumberStyles.HexNumber, CultureInfo.InvariantCulture)),
    ];

    private string[] Lines => Run.Stdout.Split('\n', StringSplitOptions.TrimEntries);

    public override string ToString() => Run.ToString();
}

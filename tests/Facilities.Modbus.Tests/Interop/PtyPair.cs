using System.IO.Ports;
using Facilities.Modbus.Serial;

namespace Facilities.Modbus.Tests.Interop;

/// <summary>
/// Two pseudo-terminals joined by socat, standing in for a serial cable: what one end writes the other reads. Each
/// pair lives in its own temporary directory, so tests running in parallel never share a line.
/// </summary>
/// <remarks>
/// A pty carries bytes, not bits: baud rate and parity are not simulated, and Linux rejects parity on a pty
/// (pyserial fails with EINVAL), so both ends use no parity.
/// </remarks>
internal sealed class PtyPair : IAsyncDisposable
{
    private readonly ChildProcess _socat;
    private readonly DirectoryInfo _directory;

    private PtyPair(ChildProcess socat, DirectoryInfo directory)
    {
        _socat = socat;
        _directory = directory;
        OurEnd = Path.Combine(directory.FullName, "ours");
        PeerEnd = Path.Combine(directory.FullName, "peer");
    }

    /// <summary>The end our stack opens.</summary>
    public string OurEnd { get; }

    /// <summary>The end the independent implementation opens.</summary>
    public string PeerEnd { get; }

    /// <summary>
    /// How our stack opens <see cref="OurEnd"/>. The gap tolerance is wide because a pty has no line timing: a gap
    /// inside a frame only ever means our process was slow to read bytes already waiting (a loaded two-core machine,
    /// a GC pause), and the default 20 ms then breaks good frames.
    /// </summary>
    public SerialLineOptions OurLine => new()
    {
        PortName = OurEnd,
        BaudRate = InteropTools.BaudRate,
        Parity = Parity.None,
        GapTolerance = TimeSpan.FromMilliseconds(250),
    };

    public static async Task<PtyPair> OpenAsync(CancellationToken cancellationToken)
    {
        InteropTools.Require(InteropTools.Socat);
        var directory = Directory.CreateTempSubdirectory("modbus-interop-pty-");
        var ours = Path.Combine(directory.FullName, "ours");
        var peer = Path.Combine(directory.FullName, "peer");
        var socat = InteropTools.StartPeer("socat", InteropTools.Socat,
            ["-d", "-d", $"pty,raw,echo=0,link={ours}", $"pty,raw,echo=0,link={peer}"]);
        var pair = new PtyPair(socat, directory);
        try
        {
            // socat announces the transfer loop on stderr once both ptys exist.
            await socat.WaitUntilReadyAsync(
                _ => Task.FromResult(File.Exists(ours) && File.Exists(peer) && socat.Output.Any(l => l.Contains("starting data transfer loop", StringComparison.Ordinal))),
                $"the pty pair in {directory.FullName}", InteropTools.StartupTimeout, cancellationToken);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _socat.KillAsync();
        await _socat.DisposeAsync();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp cleaning; it holds only two dangling links.
        }
    }
}

namespace Facilities.Modbus.Tests.Interop;

/// <summary>
/// The independent implementations the interop tests run, all from Debian packages. A missing one fails the test
/// with the package to install: these tests prove interoperability, so they never skip.
/// </summary>
internal static class InteropTools
{
    /// <summary>Debian's python, which sees python3-pymodbus (a pyenv python on PATH would not).</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>libmodbus' command-line master.</summary>
    public const string Mbpoll = "/usr/bin/mbpoll";

    public const string Socat = "/usr/bin/socat";

    /// <summary>Line speed on the pty pairs; a pty has no real timing, but both ends must agree.</summary>
    public const int BaudRate = 19200;

    /// <summary>Generous: two cores run the whole suite in parallel, and python starts slowly under load.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a request to a live peer may take before the test calls it broken.</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(3);

    private static readonly ChildProcessOptions PeerOptions = new() { WorkingDirectory = AppContext.BaseDirectory, StopGrace = TimeSpan.FromSeconds(2) };

    private static readonly Dictionary<string, string> Packages = new()
    {
        [Python] = "python3-pymodbus",
        [Mbpoll] = "mbpoll",
        [Socat] = "socat",
    };

    public static string PeerScript(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Peers", name);
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} not found: Peers/*.py must be copied to the test output directory (see the test csproj).");
        }

        return path;
    }

    public static void Require(string fileName)
    {
        if (Path.IsPathRooted(fileName) && !File.Exists(fileName))
        {
            var package = Packages.GetValueOrDefault(fileName, "the package that provides it");
            Assert.Fail($"{fileName} not found: the interop tests need it; install it with `apt-get install {package}`.");
        }
    }

    /// <summary>
    /// Starts a long-running peer with its stdin kept open (peers that watch stdin exit when it closes; one that does
    /// not is killed after 2 s).
    /// </summary>
    public static ChildProcess StartPeer(string name, string fileName, IEnumerable<string> arguments)
    {
        Require(fileName);
        return ChildProcess.Start(name, fileName, arguments, PeerOptions with { KeepInputOpen = true });
    }

    /// <summary>Runs a one-shot peer command to completion.</summary>
    public static Task<ChildProcessRun> RunPeerAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Require(fileName);
        return ChildProcess.RunAsync(fileName, arguments, timeout, cancellationToken, PeerOptions);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Facilities.Demo.Tests;

/// <summary>The real `facilities-demo` process, as the README's first command runs it.</summary>
public sealed class DemoProcessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("demo-process-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string[] Arguments(int webPort) =>
    [
        "--web-port", webPort.ToString(CultureInfo.InvariantCulture),
        "--mqtt-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
        "--sim-port", "0", "--webhook-port", "0", "--modbus-port", "0",
        "--serial-dir", Path.Combine(_directory, "serial"), "--data", Path.Combine(_directory, "data"),
    ];

    [Fact]
    public async Task Demo_StartsPrintsWhatToDo_AndStopsCleanlyOnSigint()
    {
        var webPort = FreePort.Next();
        await using var demo = Start(Arguments(webPort));
        await Eventually.HoldsAsync(() => Text(demo).Contains("Ctrl-C stops everything", StringComparison.Ordinal) || demo.HasExited, "the demo to say it is ready", TimeSpan.FromMinutes(2), Ct);
        var ready = Text(demo);
        Assert.False(demo.HasExited, ready);
        Assert.Contains("72/72 controllers online", ready, StringComparison.Ordinal);
        Assert.Contains($"http://127.0.0.1:{webPort}/api/alerts?state=open", ready, StringComparison.Ordinal);
        Assert.Contains("-- inject b03-elevator-2 trapped-at-floor --api http://127.0.0.1:", ready, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_directory, "data", "notifications.log"), ready, StringComparison.Ordinal);
        Assert.Contains("serial", ready, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_directory, "serial", "line-aed")), "the AED line's pty link is missing");

        await demo.SignalAsync("INT");
        await ExitAsync(demo);
        var all = Text(demo);
        Assert.Equal(0, demo.ExitCode);
        Assert.EndsWith("Stopped cleanly.", all.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", all, StringComparison.Ordinal);
        // A stop that cuts a poll or a wait short is a normal end, neither printed nor logged as a failure.
        Assert.DoesNotContain("TaskCanceledException", all, StringComparison.Ordinal);
        Assert.DoesNotContain("OperationCanceledException", all, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "serial", "line-aed")), "the pty link outlived the demo");
        using var listener = new TcpListener(IPAddress.Loopback, webPort);
        listener.Start(); // the web port is free again
    }

    [Fact]
    public async Task Demo_PortTaken_RefusesToStartNamingThePortAndTheOption()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await using var demo = Start(Arguments(port));
        await ExitAsync(demo);
        Assert.Equal(2, demo.ExitCode);
        Assert.Contains($"port {port} on 127.0.0.1 (the cloud's web pages and API) is already in use", Text(demo), StringComparison.Ordinal);
        Assert.Contains("--web-port", Text(demo), StringComparison.Ordinal);
    }

    private static ChildProcess Start(IEnumerable<string> arguments) =>
        // Started the way a terminal starts it. A test run that is itself a background job of a non-interactive shell
        // inherits SIGINT ignored, which .NET (like any program) then keeps ignoring; exec through Python with SIGINT
        // back at its default, so Ctrl-C means what it means in a terminal.
        ChildProcess.Start("facilities-demo", "python3",
        [
            "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])", "dotnet",
            Path.Combine(AppContext.BaseDirectory, "facilities-demo.dll"), .. arguments,
        ], new ChildProcessOptions { StopGrace = TimeSpan.Zero });

    private static async Task ExitAsync(ChildProcess demo)
    {
        if (!await demo.WaitForExitAsync(TimeSpan.FromSeconds(60), Ct))
        {
            throw new TimeoutException($"the demo did not exit within 60 s:\n{demo.Tail()}");
        }
    }

    private static string Text(ChildProcess demo) => string.Join('\n', demo.Output);

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
    }
}

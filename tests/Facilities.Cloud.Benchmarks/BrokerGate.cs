using System.Diagnostics;
using System.Globalization;
using Facilities.Testing;

namespace Facilities.Cloud.Benchmarks;

/// <summary>
/// A port the cloud connects to instead of the broker's, forwarded to the broker by <c>socat</c> (a process of its own,
/// so its processor time is not the cloud's). Pausing it stops the forwarding with every connection left up: the broker
/// queues what is published for the cloud in its sessions, as when the network between a running cloud and its broker
/// stalls. Resuming lets every slot through to the backlog at once, with the cloud's code already compiled — the
/// drain of a cloud that runs on. (Breaking the connections instead made the slots reconnect one by one, each after
/// its own back-off, and the drain waited for the last of them.)
/// </summary>
internal sealed class BrokerGate(int brokerPort) : IAsyncDisposable
{
    private const string Executable = "/usr/bin/socat";

    private Process? _socat;

    public int Port { get; } = FreePort.Next();

    public bool IsOpen => _socat is { HasExited: false };

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (IsOpen)
        {
            return;
        }

        // In a process group of its own (setsid), so the forwarder and the connections it forked stop and go on together.
        var start = new ProcessStartInfo("/usr/bin/setsid")
        {
            ArgumentList =
            {
                Executable,
                "-b", "262144",
                string.Create(CultureInfo.InvariantCulture, $"TCP-LISTEN:{Port},bind=127.0.0.1,reuseaddr,fork,nodelay"),
                string.Create(CultureInfo.InvariantCulture, $"TCP:127.0.0.1:{brokerPort},nodelay"),
            },
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _socat = Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start");
        var clock = Stopwatch.StartNew();
        while (!await FreePort.IsListeningAsync(Port, cancellationToken))
        {
            if (_socat.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                var error = _socat.HasExited ? await _socat.StandardError.ReadToEndAsync(cancellationToken) : "no listener after 10 s";
                throw new InvalidOperationException($"socat could not forward port {Port} to the broker's {brokerPort}: {error}");
            }

            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>
    /// Stops forwarding without closing anything (SIGSTOP to socat's process group): the cloud's connections stay up and
    /// the broker keeps what it cannot send in the sessions, as on a stalled network link.
    /// </summary>
    public Task PauseAsync(CancellationToken cancellationToken) => SignalAsync("STOP", cancellationToken);

    /// <summary>Forwards again (SIGCONT): every slot's connection at the same moment.</summary>
    public Task ResumeAsync(CancellationToken cancellationToken) => SignalAsync("CONT", cancellationToken);

    private async Task SignalAsync(string signal, CancellationToken cancellationToken)
    {
        if (!IsOpen)
        {
            throw new InvalidOperationException("the gate is not open");
        }

        var run = await ChildProcess.RunAsync("/bin/kill", [$"-{signal}", "--", string.Create(CultureInfo.InvariantCulture, $"-{_socat!.Id}")], TimeSpan.FromSeconds(10), cancellationToken);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} of socat's process group failed: {run.Stderr}");
        }
    }

    /// <summary>Kills socat and every connection it forwards (each one is a forked child).</summary>
    public async Task CloseAsync()
    {
        if (_socat is null)
        {
            return;
        }

        if (!_socat.HasExited)
        {
            await ChildProcess.RunAsync("/bin/kill", ["-CONT", "--", string.Create(CultureInfo.InvariantCulture, $"-{_socat.Id}")], TimeSpan.FromSeconds(10), CancellationToken.None);
            _socat.Kill(entireProcessTree: true);
        }

        await _socat.WaitForExitAsync();
        _socat.Dispose();
        _socat = null;
    }

    public async ValueTask DisposeAsync() => await CloseAsync();
}

using System.Diagnostics;
using System.Globalization;
using Facilities.Testing;

namespace Facilities.Cloud.Benchmarks;

/// <summary>
/// A port the cloud connects to instead of the broker's, forwarded to the broker by <c>socat</c> (a process of its own,
/// so its processor time is not the cloud's) while the gate is open. Closing it kills socat and the connections it
/// forwards: the cloud's sessions go offline at the broker, which queues what is published for them, exactly as when
/// the network between a running cloud and its broker breaks. Opening it again lets the cloud's reconnecting slots
/// through to the backlog, with the cloud's code already compiled — the drain of a cloud that runs on.
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

        var start = new ProcessStartInfo(Executable)
        {
            ArgumentList =
            {
                string.Create(CultureInfo.InvariantCulture, $"TCP-LISTEN:{Port},bind=127.0.0.1,reuseaddr,fork"),
                string.Create(CultureInfo.InvariantCulture, $"TCP:127.0.0.1:{brokerPort}"),
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

    /// <summary>Kills socat and every connection it forwards (each one is a forked child).</summary>
    public async Task CloseAsync()
    {
        if (_socat is null)
        {
            return;
        }

        if (!_socat.HasExited)
        {
            _socat.Kill(entireProcessTree: true);
        }

        await _socat.WaitForExitAsync();
        _socat.Dispose();
        _socat = null;
    }

    public async ValueTask DisposeAsync() => await CloseAsync();
}

using System.Diagnostics;

namespace Facilities.Testing;

/// <summary>A real Mosquitto broker on 127.0.0.1 and a free port, started and stopped by the test. Missing mosquitto fails the test.</summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/mosquitto";
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("mosquitto-").FullName;
    private Process? _process;

    private readonly string _extraConfig;

    private MosquittoBroker(int port, string extraConfig)
    {
        Port = port;
        _extraConfig = extraConfig;
    }

    public int Port { get; }

    public string Directory => _directory;

    /// <summary>Starts a broker; <paramref name="extraConfig"/> lines go under the listener (TLS settings, for instance).</summary>
    public static async Task<MosquittoBroker> StartAsync(CancellationToken cancellationToken, string extraConfig = "")
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} not found: apt-get install mosquitto (the MQTT tests need a real broker)");
        }

        var broker = new MosquittoBroker(FreePort.Next(), extraConfig);
        await broker.RestartAsync(cancellationToken);
        return broker;
    }

    /// <summary>Starts (again) the broker on the same port, as after an outage.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        // `user` keeps the broker as the test's own user (as root it would switch to "mosquitto" and lose access to
        // the test's private temporary files: certificates, persistence).
        var config = Path.Combine(_directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"user {Environment.UserName}\nlistener {Port} 127.0.0.1\n{_extraConfig}\nallow_anonymous true\npersistence true\npersistence_location {_directory}/\n", cancellationToken);
        _process = Process.Start(new ProcessStartInfo(Executable, ["-c", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited: {await _process.StandardError.ReadToEndAsync(cancellationToken)}");
            }

            if (await FreePort.IsListeningAsync(Port, cancellationToken))
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"mosquitto did not listen on {Port} within 10 s");
    }

    /// <summary>
    /// Stops the broker. Graceful (SIGTERM) lets it save its persistent sessions, as a maintained broker would;
    /// otherwise it is killed like a crash.
    /// </summary>
    public async Task StopAsync(bool graceful = false)
    {
        if (_process is { HasExited: false })
        {
            if (graceful)
            {
                using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await term.WaitForExitAsync();
            }
            else
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        System.IO.Directory.Delete(_directory, recursive: true);
    }
}

namespace Facilities.Testing;

/// <summary>A real Mosquitto broker on 127.0.0.1 and a free port, started and stopped by the test. Missing mosquitto fails the test.</summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/mosquitto";
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("mosquitto-").FullName;
    private readonly string _extraConfig;
    private readonly bool _persistence;
    private ChildProcess? _process;

    private MosquittoBroker(int port, string extraConfig, bool persistence)
    {
        Port = port;
        _extraConfig = extraConfig;
        _persistence = persistence;
    }

    public int Port { get; }

    /// <summary>The running broker's process id (a benchmark counts its CPU time).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("the broker is stopped");

    public string Directory => _directory;

    /// <summary>
    /// Starts a broker; <paramref name="extraConfig"/> lines go under the listener (TLS settings, for instance). With
    /// <paramref name="persistence"/> it keeps persistent sessions across a graceful restart.
    /// </summary>
    public static async Task<MosquittoBroker> StartAsync(CancellationToken cancellationToken, string extraConfig = "", bool persistence = true)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} not found: apt-get install mosquitto (the MQTT tests need a real broker)");
        }

        // The port is free when chosen; another test's server may bind it before this broker does. Then mosquitto exits
        // ("Address already in use") and another port is tried.
        for (var attempt = 1; ; attempt++)
        {
            var broker = new MosquittoBroker(FreePort.Next(), extraConfig, persistence);
            try
            {
                await broker.RestartAsync(cancellationToken);
                return broker;
            }
            catch (InvalidOperationException error) when (attempt < FreePort.Attempts && error.Message.Contains(FreePort.Taken, StringComparison.Ordinal))
            {
                await broker.DisposeAsync();
            }
        }
    }


    /// <summary>Starts (again) the broker on the same port, as after an outage.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        // `user` keeps the broker as the test's own user (as root it would switch to "mosquitto" and lose access to
        // the test's private temporary files: certificates, persistence).
        var config = Path.Combine(_directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"user {Environment.UserName}\nlistener {Port} 127.0.0.1\n{_extraConfig}\nallow_anonymous true\npersistence {(_persistence ? "true" : "false")}\npersistence_location {_directory}/\n", cancellationToken);
        // A graceful stop waits for the broker to save its sessions, however long that takes on a loaded machine.
        _process = ChildProcess.Start("mosquitto", Executable, ["-c", config], new ChildProcessOptions { StopGrace = TimeSpan.FromMinutes(2) });
        await _process.WaitForPortAsync(Port, TimeSpan.FromSeconds(10), cancellationToken);
    }

    /// <summary>
    /// Stops the broker. Graceful (SIGTERM) lets it save its persistent sessions, as a maintained broker would;
    /// otherwise it is killed like a crash.
    /// </summary>
    public async Task StopAsync(bool graceful = false)
    {
        if (_process is null)
        {
            return;
        }

        if (graceful)
        {
            await _process.StopAsync();
        }
        else
        {
            await _process.KillAsync();
        }

        await _process.DisposeAsync();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        System.IO.Directory.Delete(_directory, recursive: true);
    }
}

using System.Diagnostics;

namespace Facilities.Gateway.Benchmarks.Processes;

/// <summary>A Mosquitto broker on 127.0.0.1 and a free port, in its own process, for the gateway to publish to.</summary>
internal sealed class MosquittoProcess : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/mosquitto";
    private readonly string _directory;

    private MosquittoProcess(ChildProcess process, int port, string directory)
    {
        Process = process;
        Port = port;
        _directory = directory;
    }

    public ChildProcess Process { get; }

    public int Port { get; }

    public static async Task<MosquittoProcess> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} not found: apt-get install mosquitto");
        }

        var directory = Directory.CreateTempSubdirectory("gateway-benchmark-mosquitto-").FullName;
        var port = FreePort.Pick();
        var config = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n", cancellationToken);
        var process = ChildProcess.Start("mosquitto", Executable, ["-c", config]);
        var broker = new MosquittoProcess(process, port, directory);
        var deadline = Stopwatch.StartNew();
        while (!FreePort.InUse(port))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                await broker.DisposeAsync();
                throw new InvalidOperationException($"mosquitto did not listen on {port}:\n{process.Tail()}");
            }

            await Task.Delay(50, cancellationToken);
        }

        return broker;
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

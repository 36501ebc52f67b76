using System.Globalization;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>
/// The real cloud program (facilities-cloud.dll from this test's output) as a child process of its own, for the tests
/// that need what <see cref="CloudHost"/> cannot give in-process: a SIGKILL (<see cref="KillAsync"/>), or several
/// instances side by side. Settings go on its command line (<c>--Key=Value</c>), or in its environment;
/// <see cref="StartAsync"/> returns once its web port listens, and every failure quotes what it printed last.
/// Disposing stops it (SIGTERM, then a kill after the grace).
/// </summary>
internal sealed class CloudProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private CloudProcess(ChildProcess process, int webPort)
    {
        _process = process;
        WebPort = webPort;
    }

    public int WebPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{WebPort.ToString(CultureInfo.InvariantCulture)}");

    public bool HasExited => _process.HasExited;

    /// <summary>The lines printed so far on stdout and stderr.</summary>
    public IReadOnlyCollection<string> Output => _process.Output;

    /// <summary>
    /// Starts the program with <c>Urls</c> on 127.0.0.1:<paramref name="webPort"/> plus <paramref name="settings"/>,
    /// and waits until the web port listens (the host opens it after its other services started).
    /// </summary>
    /// <param name="webPort">Fixed by the caller so an instance killed can be started again on the same address.</param>
    /// <param name="environment">Settings given as environment variables (<c>Section__Key</c>) rather than arguments.</param>
    /// <param name="workingDirectory">Its content root; this test's output folder unless given.</param>
    public static async Task<CloudProcess> StartAsync(
        string name, int webPort, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        // On this test host's runtime configuration and dependency list, as the gateway is run beside it: one list
        // that every program built into this output folder can load from.
        var here = AppContext.BaseDirectory;
        var arguments = new List<string>
        {
            "exec", "--runtimeconfig", Path.Combine(here, "Facilities.Cloud.Tests.runtimeconfig.json"),
            "--depsfile", Path.Combine(here, "Facilities.Cloud.Tests.deps.json"),
            Path.Combine(here, "facilities-cloud.dll"),
            $"--Urls=http://127.0.0.1:{webPort.ToString(CultureInfo.InvariantCulture)}",
        };
        arguments.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        if (workingDirectory is not null)
        {
            Directory.CreateDirectory(workingDirectory);
        }

        var process = ChildProcess.Start(name, "dotnet", arguments, new ChildProcessOptions
        {
            Environment = environment ?? new Dictionary<string, string>(),
            WorkingDirectory = workingDirectory ?? here,
            StopGrace = TimeSpan.FromSeconds(10),
        });
        try
        {
            await process.WaitForPortAsync(webPort, TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new CloudProcess(process, webPort);
    }

    /// <summary>SIGKILL: no clean disconnect, no unlock, nothing flushed; the operating system closes its sockets.</summary>
    public Task KillAsync() => _process.KillAsync();

    public bool Logged(string text) => _process.Output.Any(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>The last lines it printed, for a failure message.</summary>
    public string Tail(int lines = 30) => _process.Tail(lines);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>
/// The cloud as a process of its own (<c>dotnet facilities-cloud.dll</c> from the test's output folder) with settings on
/// its command line, for tests that must kill it (SIGKILL: no shutdown, no flush) rather than stop it. Its output is
/// kept for the failure message.
/// </summary>
public sealed class CloudProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private CloudProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}")), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the cloud with <paramref name="settings"/> (plus a free web port) and waits until /healthz says its MQTT consumer is connected.</summary>
    public static async Task<CloudProcess> StartAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "facilities-cloud.dll"));
        start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--Urls=http://127.0.0.1:{port}"));
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        var cloud = new CloudProcess(Process.Start(start)!, port);
        cloud._process.OutputDataReceived += (_, e) => cloud.Keep(e.Data);
        cloud._process.ErrorDataReceived += (_, e) => cloud.Keep(e.Data);
        cloud._process.BeginOutputReadLine();
        cloud._process.BeginErrorReadLine();
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                if (cloud.HasExited)
                {
                    throw new InvalidOperationException($"the cloud exited ({cloud._process.ExitCode}) while starting:\n{cloud.Output}");
                }

                return await cloud.HealthAsync(cancellationToken) is { } health && health.GetProperty("mqtt").GetString() == "connected";
            }, "the cloud process to answer /healthz with its MQTT consumer connected", TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken, TimeSpan.FromMilliseconds(200));
            return cloud;
        }
        catch
        {
            cloud.Dispose();
            throw;
        }
    }

    /// <summary>GET /healthz's body (any status), or null while nothing answers.</summary>
    public async Task<JsonElement?> HealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri("/healthz", UriKind.Relative), cancellationToken);
            return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>SIGKILL, and waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        Http.Dispose();
    }
}

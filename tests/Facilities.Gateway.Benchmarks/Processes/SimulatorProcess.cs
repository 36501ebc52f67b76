using System.Globalization;
using System.Text.RegularExpressions;

namespace Facilities.Gateway.Benchmarks.Processes;

/// <summary>A bus as <c>facilities-sim run</c> prints it: where masters reach it.</summary>
internal sealed record SimulatedBus(string Id, string Type, string Endpoint)
{
    public string Host => Endpoint.Split(':')[0];

    public int Port => int.Parse(Endpoint.Split(':')[1], CultureInfo.InvariantCulture);
}

/// <summary>
/// firmware-sim (<c>facilities-sim run FILE</c>) in its own process, so its CPU is not the gateway's: the buses it
/// printed, and its control API for fault injection.
/// </summary>
internal sealed partial class SimulatorProcess : IAsyncDisposable
{
    private readonly HttpClient _api;

    private SimulatorProcess(ChildProcess process, Uri api, IReadOnlyList<SimulatedBus> buses)
    {
        Process = process;
        Buses = buses;
        _api = new HttpClient { BaseAddress = api };
    }

    public ChildProcess Process { get; }

    public IReadOnlyList<SimulatedBus> Buses { get; }

    public SimulatedBus Bus(string id) => Buses.Single(b => b.Id == id);

    /// <param name="simulator">facilities-sim.dll as built by run.sh.</param>
    /// <param name="community">a community file, or the name of a shipped one (sample-estate).</param>
    public static async Task<SimulatorProcess> StartAsync(string simulator, string community, CancellationToken cancellationToken)
    {
        var process = ChildProcess.Start("facilities-sim", "dotnet", [simulator, "run", community, "--api", "127.0.0.1:0"],
            new ChildProcessOptions { OnlyGivenRuntimeSettings = true });
        try
        {
            await process.WaitForLineAsync(l => l.StartsWith("Ready.", StringComparison.Ordinal), "Ready.", TimeSpan.FromSeconds(60), cancellationToken);
            var api = process.Output.Select(l => ApiLine().Match(l)).First(m => m.Success).Groups[1].Value;
            var buses = process.Output.Select(l => BusLine().Match(l)).Where(m => m.Success)
                .Select(m => new SimulatedBus(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value)).ToList();
            return new SimulatorProcess(process, new Uri(api), buses);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a fault through the control API (<c>POST /devices/{id}/faults/{fault}</c>).</summary>
    public async Task InjectAsync(string device, string fault, CancellationToken cancellationToken)
    {
        using var response = await _api.PostAsync(new Uri($"/devices/{device}/faults/{fault}", UriKind.Relative), null, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"injecting {fault} into {device}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    [GeneratedRegex(@"^Control API: (http://\S+?)(,|$)")]
    private static partial Regex ApiLine();

    [GeneratedRegex(@"^\s+bus (\S+)\s+(\S+)\s+(\S+)\s+units ")]
    private static partial Regex BusLine();

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await Process.DisposeAsync();
    }
}

using System.Globalization;

namespace Facilities.Gateway.Benchmarks.Processes;

/// <summary>How the gateway is launched: the program and what goes before its own arguments.</summary>
/// <param name="Program">The published (Native AOT) executable, or qemu-aarch64-static for the arm64 build.</param>
/// <param name="Prefix">Nothing, or qemu's "-L /" and the arm64 executable.</param>
/// <param name="Environment">The systemd unit's Environment= settings.</param>
internal sealed record GatewayLaunch(string Program, IReadOnlyList<string> Prefix, IReadOnlyDictionary<string, string> Environment, string Description)
{
    /// <summary>The gateway as deployed (docs/deploy-raspberry-pi.md): published with Native AOT, one executable.</summary>
    public static GatewayLaunch Native(string executable, IReadOnlyDictionary<string, string> environment) =>
        new(executable, [], environment, "native x64, Native AOT publish (as deployed)");

    public static GatewayLaunch UnderQemu(string qemu, string arm64Executable, IReadOnlyDictionary<string, string> environment) =>
        new(qemu, ["-L", "/", arm64Executable], environment, "linux-arm64 Native AOT publish under qemu-user (qemu-aarch64-static)");
}

/// <summary>The gateway in its own process, as deployed: site file, data directory, broker port, metrics port.</summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly string _data;

    private GatewayProcess(ChildProcess process, int metricsPort, string data)
    {
        Process = process;
        MetricsPort = metricsPort;
        _data = data;
    }

    public ChildProcess Process { get; }

    /// <summary>0 when the metrics endpoint is off.</summary>
    public int MetricsPort { get; }

    public static async Task<GatewayProcess> StartAsync(
        GatewayLaunch launch, string siteFile, int brokerPort, bool metrics, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("gateway-benchmark-data-").FullName;
        var metricsPort = metrics ? FreePort.Next() : 0;
        var process = ChildProcess.Start("facilities-gateway", launch.Program,
        [
            .. launch.Prefix,
            "--site", siteFile, "--data", data,
            "--Mqtt:Port", brokerPort.ToString(CultureInfo.InvariantCulture),
            "--Gateway:MetricsPort", metricsPort.ToString(CultureInfo.InvariantCulture),
        ], new ChildProcessOptions { Environment = launch.Environment, OnlyGivenRuntimeSettings = true });
        try
        {
            await process.WaitForLineAsync(l => l.Contains("Connected to MQTT broker", StringComparison.Ordinal), "its connection to the broker", TimeSpan.FromSeconds(120), cancellationToken);
        }
        catch
        {
            await process.DisposeAsync();
            Directory.Delete(data, recursive: true);
            throw;
        }

        return new GatewayProcess(process, metricsPort, data);
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }
}

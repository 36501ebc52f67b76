using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;

namespace Facilities.Gateway;

/// <summary>The hosted service: runs the gateway until the host stops (systemd stop, Ctrl-C).</summary>
public sealed partial class GatewayWorker(LoadedSite site, GatewayOptions options, MqttOptions mqtt, TimeProvider time, ILoggerFactory logs) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var logger = logs.CreateLogger<GatewayWorker>();
        await using var runtime = GatewayRuntime.Start(site, options, mqtt, time, logs);
        LogStarted(logger, site.File.Gateway, site.File.Site, site.Devices.Count, runtime.Lanes.Count, mqtt.Host, mqtt.Port);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Gateway {Gateway} of site {Site}: polling {Devices} devices in {Lanes} lanes, publishing to {Host}:{Port}")]
    private static partial void LogStarted(ILogger logger, string gateway, string site, int devices, int lanes, string host, int port);
}

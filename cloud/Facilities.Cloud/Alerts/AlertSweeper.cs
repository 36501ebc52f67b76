using Facilities.Cloud.Rules;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Alerts;

/// <summary>
/// Re-evaluates every gateway and device on a timer, so what depends on time alone happens without a new message:
/// a pending alert's "for" running out, a device or gateway falling silent, an expiry date coming near, a flapping
/// alert's hold ending. Safe to run on several instances at once (the engine's changes are guarded).
/// </summary>
public sealed partial class AlertSweeper(CloudDatabase database, AlertEngine engine, RulesOptions options, TimeProvider time, ILogger<AlertSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, error.Message);
            }
        }
    }

    /// <summary>One pass over every gateway and device (also called by tests with a controlled clock).</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var (gateways, devices) = await AlertStore.SweepSubjectsAsync(connection, cancellationToken);
        foreach (var (site, gateway) in gateways)
        {
            await using var transaction = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
            await engine.EvaluateGatewayAsync(connection, transaction, site, gateway, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        foreach (var chunk in devices.Chunk(50))
        {
            await using var transaction = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
            foreach (var (site, device) in chunk)
            {
                await engine.EvaluateDeviceAsync(connection, transaction, site, device, now, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Alert sweep failed: {Error}")]
    private static partial void LogSweepFailed(ILogger logger, string error);
}

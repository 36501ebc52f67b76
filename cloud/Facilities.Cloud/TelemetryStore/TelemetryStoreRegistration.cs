using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.TelemetryStore;

internal static class TelemetryStoreRegistration
{
    /// <summary>
    /// Adds the telemetry store from configuration section <c>Influx</c>: a <see cref="HistoryRecorder"/> writing every
    /// ingest batch's lines into the history outbox in the batch's transaction, a <see cref="HistoryDrainer"/> sending them
    /// to InfluxDB, and their health concern for /healthz; or — with no <c>Influx:Url</c> — nothing but a start-up notice
    /// that history is not stored (and nothing is written to the outbox). <see cref="TelemetryStoreMetrics"/> is registered
    /// either way. An unusable section fails here, naming what is wrong.
    /// </summary>
    public static IServiceCollection AddTelemetryStore(this IServiceCollection services, IConfiguration configuration)
    {
        var options = Settings.Bind<InfluxOptions>(configuration, InfluxOptions.Section, o => o.Problems());

        services.AddSingleton(options);
        services.AddSingleton(new TelemetryStoreMetrics { Enabled = options.Enabled });
        services.AddSingleton(new InfluxHistory(options)); // the pages' history charts; reports Configured = false without a URL
        if (!options.Enabled)
        {
            services.AddHostedService<NoHistoryNotice>();
            return services;
        }

        services.AddSingleton<HistoryOutboxStore>();
        services.AddSingleton<IMessageHandler, HistoryRecorder>();
        services.AddSingleton<IHealthConcern, HistoryHealth>();
        services.AddSingleton<HistoryDrainer>();
        services.AddHostedService(s => s.GetRequiredService<HistoryDrainer>());
        return services;
    }
}

/// <summary>Says once, at start-up, that the cloud runs without telemetry history.</summary>
internal sealed partial class NoHistoryNotice(ILogger<NoHistoryNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogNoHistory(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 8000, Level = LogLevel.Warning, Message = "no InfluxDB configured: telemetry history is not stored (set Influx:Url to store it)")]
    private static partial void LogNoHistory(ILogger logger);
}

using Microsoft.Extensions.DependencyInjection.Extensions;
using Facilities.Cloud.Configuration;
using Facilities.Cloud.Storage;
using Facilities.Cloud.TelemetryStore;

namespace Facilities.Cloud.ReadModels;

internal static class ReadModelServiceCollectionExtensions
{
    /// <summary>
    /// Charger availability and elevator health (section <c>ReadModels</c>), and the per-day counters they need, kept in
    /// the ingestion transaction. Register after the device registry; needs the notifications' <see cref="Sites.SiteTime"/>.
    /// </summary>
    public static IServiceCollection AddReadModels(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = Settings.Bind<ReadModelOptions>(configuration, "ReadModels", o => o.Validate());

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<CounterDays>();
        services.AddSingleton<ElevatorHealthReader>();
        // The history outbox exists only when InfluxDB is configured (TelemetryStoreRegistration).
        services.AddSingleton(s => new HistoryBackfill(
            s.GetRequiredService<CloudDatabase>(), s.GetRequiredService<CounterDays>(), s.GetRequiredService<InfluxHistory>(), s.GetService<HistoryOutboxStore>(),
            s.GetRequiredService<TimeProvider>()));
        return services;
    }
}

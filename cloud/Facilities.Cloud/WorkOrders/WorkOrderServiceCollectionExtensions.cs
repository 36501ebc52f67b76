using Microsoft.Extensions.DependencyInjection.Extensions;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.WorkOrders;

internal static class WorkOrderServiceCollectionExtensions
{
    /// <summary>
    /// Work orders from alerts (an <see cref="Alerts.IAlertTransitionObserver"/>), the SLA monitor, preventive orders on a
    /// schedule and the outbound webhook; section <c>WorkOrders</c> (validated now: a wrong value stops the start with its key).
    /// Needs the notifications' <see cref="Sites.SiteTime"/> (site-local periods).
    /// </summary>
    public static IServiceCollection AddWorkOrders(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = Settings.Bind<WorkOrderOptions>(configuration, "WorkOrders", o => o.Validate());

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<WorkOrderTimeline>();
        services.AddSingleton<Alerts.IAlertTransitionObserver, WorkOrderOpener>();
        services.AddSingleton<SlaMonitor>();
        services.AddHostedService(s => s.GetRequiredService<SlaMonitor>());
        services.AddSingleton<PreventiveScheduler>();
        services.AddHostedService(s => s.GetRequiredService<PreventiveScheduler>());
        if (options.Webhook.Enabled)
        {
            services.AddSingleton<WorkOrderWebhookDispatcher>();
            services.AddHostedService(s => s.GetRequiredService<WorkOrderWebhookDispatcher>());
        }

        return services;
    }
}

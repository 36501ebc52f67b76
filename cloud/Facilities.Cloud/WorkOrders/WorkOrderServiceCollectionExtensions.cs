using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Facilities.Cloud.WorkOrders;

public static class WorkOrderServiceCollectionExtensions
{
    /// <summary>Work orders from alerts (an <see cref="Notifications.IAlertNotifier"/>) and the SLA monitor; section <c>WorkOrders</c>.</summary>
    public static IServiceCollection AddWorkOrders(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = CloudApp.Bind<WorkOrderOptions>(configuration, "WorkOrders");
        if (options.SlaInterval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"configuration section 'WorkOrders': 'SlaInterval' must be positive; got {options.SlaInterval}");
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<Notifications.IAlertNotifier, WorkOrderOpener>();
        services.AddSingleton<SlaMonitor>();
        services.AddHostedService(s => s.GetRequiredService<SlaMonitor>());
        return services;
    }
}

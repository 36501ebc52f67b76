using Microsoft.Extensions.DependencyInjection.Extensions;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Configuration;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.Notifications;

internal static class NotificationServiceCollectionExtensions
{
    /// <summary>
    /// Notifications from configuration section <c>Notifications</c> (validated now: a wrong value stops the start with
    /// its path): the <see cref="IAlertTransitionObserver"/> the alert store calls on every transition, the dispatcher that sends, and the escalation scheduler.
    /// </summary>
    public static IServiceCollection AddNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = Settings.Bind<NotificationOptions>(configuration, "Notifications", NotificationOptionsValidator.Validate);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(new NotificationRouter(options));
        var siteTime = new SiteTime(options.TimeZone, options.SiteTimeZones);
        services.AddSingleton(siteTime); // the sites' time zones, also for site-local days in the read models
        services.AddSingleton(s => new NoticeFormatter(siteTime, s.GetService<Domain.Rules.RuleSet>()));
        services.AddSingleton(s => new NotificationChannels(options, s.GetRequiredService<TimeProvider>()));
        services.AddSingleton<NotificationStore>();
        services.AddSingleton<IAlertTransitionObserver, AlertNotifier>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(s => s.GetRequiredService<NotificationDispatcher>());
        services.AddSingleton<EscalationScheduler>();
        services.AddHostedService(s => s.GetRequiredService<EscalationScheduler>());
        return services;
    }
}

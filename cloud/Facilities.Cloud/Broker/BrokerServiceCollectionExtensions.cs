using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Broker;

internal static class BrokerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the embedded broker when configuration section <c>Broker</c> enables it (by default: when
    /// <c>Mqtt:Host</c> is empty). Call it right after the schema migrator: hosted services start in registration order,
    /// so the broker listens before the consumer connects, and stops after it.
    /// </summary>
    public static IServiceCollection AddEmbeddedBroker(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (BrokerOptions.WhenEnabled(configuration) is not { } options)
        {
            return services;
        }

        Settings.Check(BrokerOptions.Section, options.Validate());

        if (string.IsNullOrEmpty(configuration["Mqtt:Host"]))
        {
            // The cloud's consumer uses this broker (EmbeddedBroker.ConnectLocalConsumer): with this user, unless
            // Mqtt:Username names a configured cloud user.
            options = options with { StoringConsumer = configuration["Mqtt:Username"] is { Length: > 0 } user ? user : EmbeddedBroker.LocalUsername };
        }

        services.AddSingleton(options);
        services.AddSingleton<EmbeddedBroker>();
        services.AddHostedService(s => s.GetRequiredService<EmbeddedBroker>());
        return services;
    }
}

using Facilities.Cloud.Alerts;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Facilities.Cloud.Tests.Notifications;

public sealed class NotificationRegistrationTests
{
    private static IConfiguration Configuration(Dictionary<string, string?> settings) => new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    [Fact]
    public void AddNotifications_InvalidSection_RefusesWithPaths()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddNotifications(Configuration(new()
        {
            ["Notifications:Channels:ops:Type"] = "wecom",
        })));

        Assert.Equal("configuration section 'Notifications': Notifications:Channels:ops:Url: an absolute http(s) URL is required for type 'wecom'", error.Message);
    }

    [Fact]
    public async Task AddNotifications_Valid_RegistersNotifierDispatcherAndScheduler()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(CloudDatabase.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(Directory.CreateTempSubdirectory("notif-reg-").FullName, "cloud.db")}" }));
        services.AddNotifications(Configuration(new()
        {
            ["Notifications:Channels:ops:Type"] = "webhook",
            ["Notifications:Channels:ops:Url"] = "http://127.0.0.1:9/hook",
            ["Notifications:Contacts:duty:Channels:0"] = "ops",
            ["Notifications:Routes:0:Escalation:0"] = "duty",
        }));
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<AlertNotifier>(provider.GetRequiredService<IAlertTransitionObserver>());
        var hosted = provider.GetServices<IHostedService>().Select(s => s.GetType()).ToList();
        Assert.Contains(typeof(NotificationDispatcher), hosted);
        Assert.Contains(typeof(EscalationScheduler), hosted);
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }
}

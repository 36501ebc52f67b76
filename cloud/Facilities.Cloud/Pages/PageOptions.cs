using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Pages;

/// <summary>Configuration section <c>Pages</c>.</summary>
internal sealed class PageOptions
{
    /// <summary>How often a live stream looks for changes in the database (one cheap query per open page).</summary>
    public TimeSpan LiveInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Live streams one client address may hold open at once (tabs, phones behind one home router).</summary>
    public int LiveStreamsPerClient { get; init; } = 10;

    /// <summary>Live streams this instance holds open at once, from everyone (each costs a query per interval).</summary>
    public int LiveStreams { get; init; } = 500;
}

internal static class PageServiceCollectionExtensions
{
    /// <summary>The pages' strings, embedded assets and live-update options (section <c>Pages</c>).</summary>
    public static IServiceCollection AddPages(this IServiceCollection services, IConfiguration configuration)
    {
        var options = Settings.Bind<PageOptions>(configuration, "Pages");
        if (options.LiveInterval < TimeSpan.FromMilliseconds(100))
        {
            throw new InvalidOperationException($"configuration section 'Pages': LiveInterval must be at least 100 ms; got {options.LiveInterval}");
        }

        if (options.LiveStreamsPerClient < 1 || options.LiveStreams < options.LiveStreamsPerClient)
        {
            throw new InvalidOperationException(
                $"configuration section 'Pages': LiveStreamsPerClient must be at least 1 and LiveStreams at least as many; got {options.LiveStreamsPerClient} and {options.LiveStreams}");
        }

        services.AddSingleton(options);
        services.AddSingleton<LiveStreamGate>();
        services.AddSingleton(PageStrings.Load());
        services.AddSingleton(PageAssets.Load());
        services.AddSignInRejectionPage();
        return services;
    }
}

namespace Facilities.Cloud.Pages;

/// <summary>Configuration section <c>Pages</c>.</summary>
public sealed class PageOptions
{
    /// <summary>How often a live stream looks for changes in the database (one cheap query per open page).</summary>
    public TimeSpan LiveInterval { get; set; } = TimeSpan.FromSeconds(1);
}

public static class PageServiceCollectionExtensions
{
    /// <summary>The pages' strings, embedded assets and live-update options (section <c>Pages</c>).</summary>
    public static IServiceCollection AddPages(this IServiceCollection services, IConfiguration configuration)
    {
        var options = CloudApp.Bind<PageOptions>(configuration, "Pages");
        if (options.LiveInterval < TimeSpan.FromMilliseconds(100))
        {
            throw new InvalidOperationException($"configuration section 'Pages': LiveInterval must be at least 100 ms; got {options.LiveInterval}");
        }

        services.AddSingleton(options);
        services.AddSingleton(PageStrings.Load());
        services.AddSingleton(PageAssets.Load());
        return services;
    }
}

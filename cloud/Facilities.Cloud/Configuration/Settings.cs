namespace Facilities.Cloud.Configuration;

/// <summary>Reads configuration sections into options records.</summary>
internal static class Settings
{
    /// <summary>Binds a configuration section, naming the section when a value cannot be converted.</summary>
    public static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException error)
        {
            throw new InvalidOperationException($"configuration section '{section}': {error.Message}", error);
        }
    }
}

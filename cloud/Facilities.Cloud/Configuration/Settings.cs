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

    /// <summary>Binds <paramref name="section"/> and checks it with <paramref name="problems"/> (<see cref="Check"/>).</summary>
    public static T Bind<T>(IConfiguration configuration, string section, Func<T, IReadOnlyList<string>> problems) where T : new()
    {
        ArgumentNullException.ThrowIfNull(problems);
        var options = Bind<T>(configuration, section);
        Check(section, problems(options));
        return options;
    }

    /// <summary>Stops the start when a section's start-up check found problems, naming the section and each problem.</summary>
    public static void Check(string section, IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"configuration section '{section}': {string.Join("; ", problems)}");
        }
    }
}

namespace Facilities.Gateway.Benchmarks.Processes;

/// <summary>The Environment= lines of the gateway's systemd unit, so the benchmark runs the gateway as it is deployed.</summary>
internal static class ServiceEnvironment
{
    public static IReadOnlyDictionary<string, string> Read(string unitFile)
    {
        var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(unitFile))
        {
            if (!line.StartsWith("Environment=", StringComparison.Ordinal))
            {
                continue;
            }

            var setting = line["Environment=".Length..].Trim().Trim('"');
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                environment[setting[..equals]] = setting[(equals + 1)..];
            }
        }

        return environment;
    }

    public static string Describe(IReadOnlyDictionary<string, string> environment) =>
        string.Join(" ", environment.Select(e => $"{e.Key}={e.Value}"));
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Facilities.Cloud.Configuration;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Rules;

/// <summary>
/// Loads the rules in force from files: the default set and each site's overrides. Loading checks every rule and
/// reports every problem with the file, the rule's position and the field, like the gateway's configuration errors.
/// </summary>
internal static class RuleFiles
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static RuleSet Load(RulesOptions options, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = LoadFile(Path.GetFullPath(options.File, baseDirectory));
        var sites = new Dictionary<string, IReadOnlyList<RuleDefinition>>();
        if (!string.IsNullOrEmpty(options.SiteDirectory))
        {
            var directory = Path.GetFullPath(options.SiteDirectory, baseDirectory);
            if (!Directory.Exists(directory))
            {
                throw new ConfigurationFileException(directory, "$", "Rules:SiteDirectory does not exist");
            }

            foreach (var file in Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                sites[Path.GetFileNameWithoutExtension(file)] = LoadFile(file, overrides: true);
            }
        }

        return new RuleSet(defaults, sites);
    }

    public static IReadOnlyList<RuleDefinition> LoadFile(string path, bool overrides = false)
    {
        var rules = ReadFile(path);
        var problems = RuleChecks.Problems(rules, overrides);
        return problems.Count == 0 ? rules : throw new ConfigurationFileException(path, problems);
    }

    /// <summary>Reads a rule file without checking its rules; a missing or unreadable file and broken JSON throw with the file and the JSON path.</summary>
    internal static IReadOnlyList<RuleDefinition> ReadFile(string path)
    {
        List<RuleDefinition>? rules;
        try
        {
            using var stream = File.OpenRead(path);
            rules = JsonSerializer.Deserialize<List<RuleDefinition>>(stream, Json);
        }
        catch (JsonException error)
        {
            throw new ConfigurationFileException(path, error.Path ?? "$", error.Message);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // UnauthorizedAccessException: no read permission, or the path is a directory.
            throw new ConfigurationFileException(path, "$", error.Message);
        }

        return rules ?? throw new ConfigurationFileException(path, "$", "expected an array of rules");
    }
}

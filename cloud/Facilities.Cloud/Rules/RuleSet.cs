using System.Text.Json;
using System.Text.Json.Serialization;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Rules;

/// <summary>Configuration section <c>Rules</c>.</summary>
public sealed class RulesOptions
{
    /// <summary>The default rule set; relative paths are resolved against the application directory.</summary>
    public string File { get; set; } = "rulesets/default-rules.json";

    /// <summary>Optional folder of per-site overrides, <c>{site}.json</c>: rules with a default rule's id replace it; new ids add rules.</summary>
    public string? SiteDirectory { get; set; }

    /// <summary>How often time-based rules (for, stale, expiry, flapping holds) are re-evaluated.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Flapping: this many firings of one rule on one device within <see cref="FlapWindow"/> make the alert stay open.</summary>
    public int FlapCount { get; set; } = 3;

    public TimeSpan FlapWindow { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A flapping alert resolves only after its condition stayed clear this long.</summary>
    public TimeSpan FlapHold { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A gateway heard from less recently than this is offline even without its last will (it sends its status every minute).</summary>
    public TimeSpan GatewaySilence { get; set; } = TimeSpan.FromMinutes(3);
}

/// <summary>
/// The rules in force: the default set with each site's overrides. Loading checks every rule and reports every
/// problem with the file, the rule's position and the field, like the gateway's configuration errors.
/// </summary>
public sealed class RuleSet
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private readonly IReadOnlyList<RuleDefinition> _defaults;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<RuleDefinition>> _sites;

    public RuleSet(IReadOnlyList<RuleDefinition> defaults, IReadOnlyDictionary<string, IReadOnlyList<RuleDefinition>>? sites = null)
    {
        _defaults = defaults;
        _sites = sites ?? new Dictionary<string, IReadOnlyList<RuleDefinition>>();
    }

    public IReadOnlyList<RuleDefinition> Defaults => _defaults;

    /// <summary>The enabled rules for a device of <paramref name="kind"/> at <paramref name="site"/> (worked out once per site and kind: the set does not change).</summary>
    public IReadOnlyList<RuleDefinition> For(string site, string kind) =>
        _for.GetOrAdd((site, kind), key => [.. Effective(key.Site).Where(r => r.Enabled && (r.Kind == key.Kind || r.Kind == "*"))]);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Kind), RuleDefinition[]> _for = new();

    public IEnumerable<RuleDefinition> Effective(string site)
    {
        if (!_sites.TryGetValue(site, out var overrides))
        {
            return _defaults;
        }

        var replaced = overrides.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        return _defaults.Where(r => !replaced.Contains(r.Id)).Concat(overrides);
    }

    public RuleDefinition? Find(string site, string id) => Effective(site).FirstOrDefault(r => r.Id == id);

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
        var problems = Problems(rules, overrides);
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

    /// <summary>Every error in <paramref name="rules"/>, each as <c>$[i] (id): problem</c>; none means the cloud accepts the file.</summary>
    internal static IReadOnlyList<string> Problems(IReadOnlyList<RuleDefinition> rules, bool overrides)
    {
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            foreach (var problem in Check(rule, overrides))
            {
                problems.Add($"{Position(i, rule)}: {problem}");
            }

            if (!seen.Add(rule.Id))
            {
                problems.Add($"$[{i}]: rule id '{rule.Id}' appears twice");
            }
        }

        return problems;
    }

    /// <summary>How a problem names its rule: its position in the file and its id.</summary>
    internal static string Position(int index, RuleDefinition rule) =>
        $"$[{index}] ({(string.IsNullOrEmpty(rule.Id) ? "no id" : rule.Id)})";

    /// <summary>A site override's <c>{ "id": "…", "enabled": false }</c>: switches a default rule off and says nothing else.</summary>
    internal static bool IsDisableEntry(RuleDefinition rule) =>
        !rule.Enabled && string.IsNullOrEmpty(rule.Kind) && string.IsNullOrEmpty(rule.Title) && rule.Point is null;

    private static IEnumerable<string> Check(RuleDefinition rule, bool isOverride)
    {
        if (string.IsNullOrWhiteSpace(rule.Id))
        {
            yield return "'id' is required";
        }

        if (isOverride && !rule.Enabled)
        {
            yield break; // { "id": "...", "enabled": false } switches a default rule off at this site.
        }

        if (string.IsNullOrWhiteSpace(rule.Kind))
        {
            yield return "'kind' is required (a device kind or '*')";
        }

        if (rule.Severity is not ("info" or "warning" or "critical"))
        {
            yield return $"'severity' must be info, warning or critical, got '{rule.Severity}'";
        }

        if (string.IsNullOrWhiteSpace(rule.Title))
        {
            yield return "'title' is required";
        }

        var needsPoint = rule.Type is RuleType.State or RuleType.Threshold or RuleType.Rate or RuleType.Expiry or RuleType.Age;
        if (needsPoint && string.IsNullOrWhiteSpace(rule.Point))
        {
            yield return $"'point' is required for a {rule.Type} rule";
        }

        switch (rule.Type)
        {
            case RuleType.State when rule.Labels is null && rule.Values is null:
                yield return "a state rule needs 'labels' or 'values'";
                break;
            case RuleType.Threshold when (rule.Above is null) == (rule.Below is null):
                yield return "a threshold rule needs exactly one of 'above' and 'below'";
                break;
            case RuleType.Threshold when rule.Clear is { } clear && ((rule.Above is { } a && clear > a) || (rule.Below is { } b && clear < b)):
                yield return "'clear' must lie on the normal side of the limit (hysteresis)";
                break;
            case RuleType.Rate when rule.RisePerMinute is null && rule.FallPerMinute is null:
                yield return "a rate rule needs 'risePerMinute' or 'fallPerMinute'";
                break;
            case RuleType.Expiry or RuleType.Age when rule.DateFormat is not ("yyyymmdd" or "unix"):
                yield return $"'dateFormat' must be yyyymmdd or unix, got '{rule.DateFormat}'";
                break;
            case RuleType.Stale or RuleType.Age when rule.After is not { } after || after <= TimeSpan.Zero:
                yield return $"a {rule.Type.ToString().ToLowerInvariant()} rule needs a positive 'after'";
                break;
            default:
                break;
        }

        if (rule.RelativeTo is not null && rule.Type != RuleType.Threshold)
        {
            yield return $"'relativeTo' applies only to threshold rules, not to a {rule.Type} rule";
        }
        else if (rule.RelativeTo is { } relativeTo && (string.IsNullOrWhiteSpace(relativeTo) || relativeTo.Contains('*', StringComparison.Ordinal)))
        {
            yield return "'relativeTo' must name one point of the same device (no wildcards)";
        }

        if (rule.For is { } pendingFor && pendingFor < TimeSpan.Zero)
        {
            yield return $"'for' must not be negative, got {pendingFor}";
        }

        // A deadline at or before the moment the work order opens would make every such work order overdue at once.
        if (rule.WorkOrder?.RespondWithin is { } respondWithin && respondWithin <= TimeSpan.Zero)
        {
            yield return $"'workOrder.respondWithin' must be positive, got {respondWithin}";
        }

        if (rule.WorkOrder?.ResolveWithin is { } resolveWithin && resolveWithin <= TimeSpan.Zero)
        {
            yield return $"'workOrder.resolveWithin' must be positive, got {resolveWithin}";
        }

        foreach (var condition in (rule.When ?? []).Concat(rule.SuppressWhen ?? []))
        {
            if (string.IsNullOrWhiteSpace(condition.Point))
            {
                yield return "every 'when'/'suppressWhen' condition needs a 'point'";
            }
        }
    }
}

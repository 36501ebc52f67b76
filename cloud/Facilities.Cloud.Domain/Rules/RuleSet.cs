namespace Facilities.Cloud.Domain.Rules;

/// <summary>
/// The rules in force: the default set with each site's overrides (the host loads them from files and checks them
/// with <see cref="RuleChecks"/>).
/// </summary>
public sealed class RuleSet
{
    private readonly IReadOnlyList<RuleDefinition> _defaults;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<RuleDefinition>> _sites;
    private readonly IReadOnlyDictionary<string, SiteParameters> _siteParameters;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Device, string Kind, TimeZoneInfo Zone), DeviceSettings> _settings = new();

    public RuleSet(
        IReadOnlyList<RuleDefinition> defaults, IReadOnlyDictionary<string, IReadOnlyList<RuleDefinition>>? sites = null,
        ParameterSet? parameters = null, IReadOnlyDictionary<string, SiteParameters>? siteParameters = null)
    {
        _defaults = defaults;
        _sites = sites ?? new Dictionary<string, IReadOnlyList<RuleDefinition>>();
        Parameters = parameters ?? ParameterSet.Empty;
        _siteParameters = siteParameters ?? new Dictionary<string, SiteParameters>();
    }

    public IReadOnlyList<RuleDefinition> Defaults => _defaults;

    /// <summary>The parameters each kind declares and the default calendars (default rule file).</summary>
    public ParameterSet Parameters { get; }

    /// <summary>What a site's file sets (parameter values, calendars, devices); empty for a site without a file.</summary>
    public SiteParameters Site(string site) => _siteParameters.GetValueOrDefault(site) ?? SiteParameters.Empty;

    /// <summary>
    /// A device's attributes from its site file (an elevator's registrationCode and 96333 rescueCode), for alerts,
    /// notifications and work orders to carry; null when it has none.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Attributes(string site, string device) =>
        _siteParameters.GetValueOrDefault(site)?.Devices.GetValueOrDefault(device)?.Attributes is { Count: > 0 } attributes ? attributes : null;

    /// <summary>
    /// The parameters, attributes and calendars a device's rules see: its kind's defaults, its site's values, its own
    /// (worked out once per device: the files do not change while the cloud runs).
    /// </summary>
    public DeviceSettings Settings(string site, string device, string kind, TimeZoneInfo? zone = null) =>
        _settings.GetOrAdd((site, device, kind, zone ?? DeviceSettings.Default.Zone),
            key => Parameters.Resolve(key.Kind, _siteParameters.GetValueOrDefault(key.Site), key.Device, key.Zone));

    /// <summary>The enabled rules for a device of <paramref name="kind"/> at <paramref name="site"/> (worked out once per site and kind: the set does not change).</summary>
    public IReadOnlyList<RuleDefinition> For(string site, string kind) =>
        _for.GetOrAdd((site, kind), key => [.. Effective(key.Site).Where(r => r.Enabled && (r.Kind == key.Kind || r.Kind == "*"))]);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Kind), RuleDefinition[]> _for = new();

    /// <summary>
    /// The points whose recent samples the windowed rules of a kind need — each windowed point and each window's gate
    /// point — with the longest window over each (what the engine and the replay keep).
    /// </summary>
    public IReadOnlyDictionary<string, TimeSpan> WindowedPoints(string site, string kind) =>
        _windowed.GetOrAdd((site, kind), key => For(key.Site, key.Kind).Where(r => r.Window is not null && r.Point is not null)
            .SelectMany(r => new[] { (Point: r.Point!, r.Window!.Over), (Point: r.Window!.While?.Point ?? r.Point!, r.Window!.Over) })
            .GroupBy(p => p.Point, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Max(p => p.Over), StringComparer.Ordinal));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Kind), IReadOnlyDictionary<string, TimeSpan>> _windowed = new();

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
}

/// <summary>
/// What makes a rule file unacceptable to the cloud, each problem naming the rule's position and the field (the same
/// checks at start-up and in <c>facilities-cloud rules check</c>).
/// </summary>
public static class RuleChecks
{
    /// <summary>Every error in <paramref name="rules"/>, each as <c>$[i] (id): problem</c>; none means the cloud accepts the file.</summary>
    /// <remarks>
    /// <c>parameters</c>: the parameters and calendars the rules may name (the default file's, with a site file's
    /// calendars); null checks no references (a file read without the rule set it belongs to).
    /// </remarks>
    public static IReadOnlyList<string> Problems(IReadOnlyList<RuleDefinition> rules, bool overrides, ParameterSet? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            foreach (var problem in Check(rule, overrides))
            {
                problems.Add($"{Position(i, rule)}: {problem}");
            }

            if (parameters is not null && !(overrides && !rule.Enabled))
            {
                problems.AddRange(References(rule, parameters).Select(problem => $"{Position(i, rule)}: {problem}"));
            }

            if (!seen.Add(rule.Id))
            {
                problems.Add($"$[{i}]: rule id '{rule.Id}' appears twice");
            }
        }

        return problems;
    }

    /// <summary>How a problem names its rule: its position in the file and its id.</summary>
    public static string Position(int index, RuleDefinition rule) =>
        $"$[{index}] ({(string.IsNullOrEmpty(rule.Id) ? "no id" : rule.Id)})";

    /// <summary>A site override's <c>{ "id": "…", "enabled": false }</c>: switches a default rule off and says nothing else.</summary>
    public static bool IsDisableEntry(RuleDefinition rule) =>
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

        if (rule.Type == RuleType.Raised && !RaisedRules.All.Contains(rule.Id))
        {
            yield return $"'type' raised is for the alerts the cloud raises itself ({string.Join(", ", RaisedRules.All)}), not '{rule.Id}'";
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
            case RuleType.Threshold when rule.Clear is { } clear && ((rule.Above is { } a && Compare(clear, a) > 0) || (rule.Below is { } b && Compare(clear, b) < 0)):
                yield return "'clear' must lie on the normal side of the limit (hysteresis)";
                break;
            case RuleType.Threshold when rule.Window is { } window && window.Over <= TimeSpan.Zero:
                yield return "'window.over' must be positive";
                break;
            case RuleType.Threshold when rule.Window is { While: { } gate } window && window.Function != WindowFunction.Mean:
                yield return $"'window.while' applies only to the mean, not to {window.Function.ToString().ToLowerInvariant()}";
                break;
            case RuleType.Threshold when rule.Window is { While: { } gate } && (string.IsNullOrWhiteSpace(gate.Point) || gate.Point.Contains('*', StringComparison.Ordinal)):
                yield return "'window.while.point' must name one point of the same device (no wildcards)";
                break;
            case RuleType.Threshold when rule.Window is { While: { } gate } && gate.Labels is not null:
                yield return "'window.while' tests numbers ('values', 'above', 'below'), not 'labels': the window keeps numbers";
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

        if (rule.Window is not null && rule.Type != RuleType.Threshold)
        {
            yield return $"'window' applies only to threshold rules, not to a {rule.Type} rule";
        }

        if (rule.ForParameter is { } forParameter && RuleDefinition.ParameterDuration(forParameter, 1) is null)
        {
            yield return $"'forParameter' must name a duration parameter whose name ends with its unit (Hours, Minutes or Seconds), got '{forParameter}'";
        }

        if ((rule.When ?? []).Any(c => c.Point.Contains('*', StringComparison.Ordinal)) && rule.Point?.Contains('*', StringComparison.Ordinal) != true)
        {
            yield return "a 'when' condition with a wildcard is tested per matching point, so the rule's 'point' needs a wildcard too";
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

        if (rule.AnyOf is { Count: > 0 } anyOf)
        {
            if (rule.Type != RuleType.State)
            {
                yield return $"'anyOf' applies only to state rules, not to a {rule.Type} rule";
            }

            if (anyOf.Any(c => string.IsNullOrWhiteSpace(c.Point) || c.Point.Contains('*', StringComparison.Ordinal)))
            {
                yield return "every 'anyOf' condition needs a 'point' (one point, no wildcards)";
            }
        }
    }

    /// <summary>Two limits compared when both are numbers, or offsets of the same scaled parameter; 0 when they cannot be compared.</summary>
    private static int Compare(Limit x, Limit y) =>
        x.Value is { } a && y.Value is { } b ? a.CompareTo(b)
        : x.Parameter is not null && x.Parameter == y.Parameter && x.Factor == y.Factor ? x.Offset.CompareTo(y.Offset)
        : 0;

    /// <summary>The parameters and calendar a rule names that its kind does not have, each with the field that names it.</summary>
    private static IEnumerable<string> References(RuleDefinition rule, ParameterSet parameters)
    {
        var known = parameters.Names(rule.Kind);
        foreach (var (field, limit) in new[] { ("above", rule.Above), ("below", rule.Below), ("clear", rule.Clear) })
        {
            if (limit?.Parameter is { } name && !known.Contains(name))
            {
                yield return $"'{field}' references unknown parameter '{name}' for kind '{rule.Kind}'{Known(known)}";
            }
        }

        if (rule.ForParameter is { } forParameter && !known.Contains(forParameter))
        {
            yield return $"'forParameter' references unknown parameter '{forParameter}' for kind '{rule.Kind}'{Known(known)}";
        }

        if (rule.During is { } calendar && !parameters.Calendars.ContainsKey(calendar))
        {
            yield return $"'during' references unknown calendar '{calendar}' (known: {string.Join(", ", parameters.Calendars.Keys.Order(StringComparer.Ordinal))})";
        }
    }

    private static string Known(IReadOnlySet<string> known) =>
        known.Count == 0 ? " (it declares none)" : $" (known: {string.Join(", ", known.Order(StringComparer.Ordinal))})";
}

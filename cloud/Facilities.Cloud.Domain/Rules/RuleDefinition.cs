using System.Text.Json.Serialization;

namespace Facilities.Cloud.Domain.Rules;

/// <summary>What a rule watches. Every type shares "for", "when" and "suppressWhen".</summary>
public enum RuleType
{
    /// <summary>An event or status point is in one of the listed labels or values (fault codes, contacts).</summary>
    State,

    /// <summary>A numeric point beyond <c>above</c> or <c>below</c>; clears only past <c>clear</c> (hysteresis).</summary>
    Threshold,

    /// <summary>A point changing faster than <c>risePerMinute</c> or <c>fallPerMinute</c> between two samples.</summary>
    Rate,

    /// <summary>A date point (yyyymmdd or Unix seconds) less than <c>daysAhead</c> days away, or past.</summary>
    Expiry,

    /// <summary>The gateway reports the device offline.</summary>
    Offline,

    /// <summary>Nothing heard from the device for longer than <c>after</c>.</summary>
    Stale,

    /// <summary>A time point (<c>dateFormat</c>) older than <c>after</c>: something that should recur stopped (an AED's daily self-test).</summary>
    Age,

    /// <summary>
    /// Raised by the cloud itself, not from a device's points (<see cref="RaisedRules"/>): the file gives such an alert
    /// its title and severity, and can switch it off, like any other rule.
    /// </summary>
    Raised,
}

/// <summary>The alerts the cloud raises itself; each is a rule of type <c>raised</c> in the rule set.</summary>
public static class RaisedRules
{
    /// <summary>A gateway reports itself offline, or has been silent too long: its devices are not watched.</summary>
    public const string GatewayOffline = "gateway.offline";

    /// <summary>A work order passed its response or resolution deadline.</summary>
    public const string WorkOrderBreach = "workorder.sla-breach";

    public static IReadOnlyList<string> All { get; } = [GatewayOffline, WorkOrderBreach];

    /// <summary>
    /// The rule for <paramref name="id"/> at <paramref name="site"/>, or null when the site switched it off. A rule set
    /// without it (an old custom file) still raises the alert, titled by its id, so nothing goes unreported.
    /// </summary>
    public static RuleDefinition? Resolve(RuleSet rules, string site, string id)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var rule = rules.Find(site, id);
        if (rule is null)
        {
            return new RuleDefinition { Id = id, Kind = id.Split('.')[0], Type = RuleType.Raised, Severity = "critical", Title = id };
        }

        return rule.Enabled ? rule : null;
    }
}

/// <summary>A test on one point of the same device (preconditions and suppressions).</summary>
public sealed class PointCondition
{
    public string Point { get; set; } = "";

    public IReadOnlyList<string>? Labels { get; set; }

    public IReadOnlyList<double>? Values { get; set; }

    public double? Above { get; set; }

    public double? Below { get; set; }

    /// <summary>What to call it in an alert or suppression ("inspection mode").</summary>
    public string? Reason { get; set; }
}

/// <summary>
/// One alert rule, as data (rulesets/default-rules.json, overridable per site). A rule applies to the devices of one
/// kind; at most one alert is open per device and rule.
/// </summary>
public sealed class RuleDefinition
{
    public string Id { get; set; } = "";

    /// <summary>Device kind (elevator, boiler, charger-shed, aed-cabinet) or <c>*</c> for every kind.</summary>
    public string Kind { get; set; } = "";

    public RuleType Type { get; set; }

    /// <summary>info, warning or critical.</summary>
    public string Severity { get; set; } = "warning";

    /// <summary>Short text for people (Chinese first, English after).</summary>
    public string Title { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>The point; for State rules a <c>*</c> matches any run of characters (port_*_fault_code).</summary>
    public string? Point { get; set; }

    public IReadOnlyList<string>? Labels { get; set; }

    public IReadOnlyList<double>? Values { get; set; }

    /// <summary>State rules: fire when the point is NOT in labels/values (e.g. self-test result other than pass).</summary>
    public bool Negate { get; set; }

    /// <summary>A number or a device parameter (<c>{ "parameter": "maxSupply" }</c>): see <see cref="Limit"/>.</summary>
    public Limit? Above { get; set; }

    public Limit? Below { get; set; }

    /// <summary>Threshold rules: the level the value must pass back over before the alert clears.</summary>
    public Limit? Clear { get; set; }

    /// <summary>Threshold rules: compare an aggregate of the point over a window (hourly mean, increase per hour) instead of its latest value.</summary>
    public RuleWindow? Window { get; set; }

    /// <summary>
    /// Threshold rules: a point of the same device that <c>above</c>, <c>below</c> and <c>clear</c> are offsets from
    /// (supply_temperature below supply_setpoint − 8), so the limit follows the equipment's own target instead of one
    /// fixed number. Unknown until that point has been reported.
    /// </summary>
    public string? RelativeTo { get; set; }

    public double? RisePerMinute { get; set; }

    public double? FallPerMinute { get; set; }

    public double? DaysAhead { get; set; }

    /// <summary>Expiry and age rules: <c>yyyymmdd</c> (default) or <c>unix</c> seconds.</summary>
    public string DateFormat { get; set; } = "yyyymmdd";

    /// <summary>Stale rules: silence longer than this; age rules: a time point older than this.</summary>
    public TimeSpan? After { get; set; }

    /// <summary>The condition must hold this long before the alert fires (pending until then).</summary>
    public TimeSpan? For { get; set; }

    /// <summary>
    /// Instead of <see cref="For"/>: a device parameter holding the duration, its unit in its name
    /// (<c>returnWithinHours</c>, <c>…Minutes</c>, <c>…Seconds</c>).
    /// </summary>
    public string? ForParameter { get; set; }

    /// <summary>A calendar the rule applies in (<c>heatingSeason</c>): outside it the rule does not apply, like an unmet "when".</summary>
    public string? During { get; set; }

    /// <summary>Preconditions: the rule only applies while all of these hold (boiler burner on).</summary>
    public IReadOnlyList<PointCondition>? When { get; set; }

    /// <summary>
    /// State rules: the condition also holds while any of these does — the same fault reported on another point (an
    /// elevator's per-fault bit beside its legacy single fault code), so a device read by an older profile and one
    /// read by a newer one raise the same alert.
    /// </summary>
    public IReadOnlyList<PointCondition>? AnyOf { get; set; }

    /// <summary>While any of these holds the alert is still recorded but marked suppressed and nobody is notified.</summary>
    public IReadOnlyList<PointCondition>? SuppressWhen { get; set; }

    /// <summary>
    /// Every point the rule's verdict depends on (its point, the one its limits are relative to, its conditions, its
    /// window's gate): a message carrying one of them may change the verdict. Wildcard names as written.
    /// </summary>
    public IEnumerable<string> PointsRead() =>
        (When ?? []).Concat(SuppressWhen ?? []).Concat(AnyOf ?? []).Select(c => c.Point)
            .Append(Point).Append(RelativeTo).Append(Window?.While?.Point).OfType<string>();

    /// <summary>How long the condition must hold for a device: <see cref="ForParameter"/>'s value when set and known, else <see cref="For"/>.</summary>
    public TimeSpan? PendingFor(DeviceSettings? settings) =>
        ForParameter is { } name && settings?.Number(name) is { } value && ParameterDuration(name, value) is { } duration ? duration : For;

    /// <summary>A duration parameter's value by the unit its name ends with; null when the name says no unit.</summary>
    public static TimeSpan? ParameterDuration(string name, double value)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.EndsWith("Hours", StringComparison.Ordinal) ? TimeSpan.FromHours(value)
            : name.EndsWith("Minutes", StringComparison.Ordinal) ? TimeSpan.FromMinutes(value)
            : name.EndsWith("Seconds", StringComparison.Ordinal) ? TimeSpan.FromSeconds(value)
            : null;
    }

    /// <summary>Work-order settings for this rule (used by the work-order module; null: alerts only).</summary>
    [JsonPropertyName("workOrder")]
    public WorkOrderPolicy? WorkOrder { get; set; }
}

/// <summary>Whether and how an alert of this rule becomes a work order.</summary>
public sealed class WorkOrderPolicy
{
    public TimeSpan? RespondWithin { get; set; }

    public TimeSpan? ResolveWithin { get; set; }

    /// <summary>Someone on site within this long of the order opening (Beijing heating: 6 h; an entrapment: 30 min).</summary>
    public TimeSpan? ArriveWithin { get; set; }

    public string? Team { get; set; }

    /// <summary>
    /// An entrapment: the order gets the rescue steps <c>arrive</c> and <c>release</c>, and its response deadline is
    /// the site's arrival time (<c>respondWithin</c> is the default for sites that set none), met only by the arrival.
    /// </summary>
    public bool Rescue { get; set; }
}

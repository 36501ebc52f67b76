namespace Facilities.Cloud.Rules;

/// <summary>Configuration section <c>Rules</c>.</summary>
public sealed class RulesOptions
{
    /// <summary>The default rule set; relative paths are resolved against the application directory.</summary>
    public string File { get; init; } = "rulesets/default-rules.json";

    /// <summary>Optional folder of per-site overrides, <c>{site}.json</c>: rules with a default rule's id replace it; new ids add rules.</summary>
    public string? SiteDirectory { get; init; }

    /// <summary>How often time-based rules (for, stale, expiry, flapping holds) are re-evaluated.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Flapping: this many firings of one rule on one device within <see cref="FlapWindow"/> make the alert stay open.</summary>
    public int FlapCount { get; init; } = 3;

    public TimeSpan FlapWindow { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>A flapping alert resolves only after its condition stayed clear this long.</summary>
    public TimeSpan FlapHold { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>A gateway heard from less recently than this is offline even without its last will (it sends its status every minute).</summary>
    public TimeSpan GatewaySilence { get; init; } = TimeSpan.FromMinutes(3);
}

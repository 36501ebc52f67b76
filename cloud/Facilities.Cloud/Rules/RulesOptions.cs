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

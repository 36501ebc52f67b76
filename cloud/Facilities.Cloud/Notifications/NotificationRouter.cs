using System.Text.RegularExpressions;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Notifications;

namespace Facilities.Cloud.Notifications;

internal enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

internal static class AlertSeverities
{
    public static bool TryParse(string? text, out AlertSeverity severity)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "INFO":
                severity = AlertSeverity.Info;
                return true;
            case "WARNING":
                severity = AlertSeverity.Warning;
                return true;
            case "CRITICAL":
                severity = AlertSeverity.Critical;
                return true;
            default:
                severity = AlertSeverity.Critical;
                return false;
        }
    }

    /// <summary>An unknown severity counts as critical: a misspelt rule should page someone rather than nobody.</summary>
    public static AlertSeverity ParseOrCritical(string? text) => TryParse(text, out var severity) ? severity : AlertSeverity.Critical;
}

/// <summary>One person or team on call and how to reach them.</summary>
internal sealed record OnCallContact(string Key, string Name, IReadOnlyList<string> Channels, IReadOnlyList<string> Email);

/// <summary>
/// A route from configuration, resolved: which alerts it takes and its escalation ladder.
/// </summary>
internal sealed record OnCallRoute(
    string Name, IReadOnlyList<string> Sites, AlertSeverity MinSeverity, IReadOnlyList<string> Escalation,
    AlertSeverity EscalateMinSeverity, TimeSpan EscalateAfter, TimeSpan RepeatEvery, bool Continue, IReadOnlyList<string>? Rules = null)
{
    public bool Covers(string site, AlertSeverity severity) =>
        severity >= MinSeverity && (Sites.Count == 0 || Sites.Any(s => s == "*" || string.Equals(s, site, StringComparison.Ordinal)));

    /// <summary>Whether the route takes an alert of <paramref name="ruleId"/> (null: a caller that does not know the rule) at this site and severity.</summary>
    public bool Covers(string site, AlertSeverity severity, string? ruleId) =>
        Covers(site, severity) && (Rules is not { Count: > 0 } || (ruleId is not null && Rules.Any(pattern => RuleMatches(pattern, ruleId))));

    private static bool RuleMatches(string pattern, string ruleId) =>
        pattern.Contains('*', StringComparison.Ordinal)
            ? Regex.IsMatch(ruleId, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant)
            : string.Equals(pattern, ruleId, StringComparison.Ordinal);

    /// <summary>Whether an alert of this severity escalates or repeats at all on this route.</summary>
    public bool Escalates(AlertSeverity severity) => severity >= EscalateMinSeverity && (Escalation.Count > 1 || RepeatEvery > TimeSpan.Zero);

    /// <summary>The route's escalation ladder (<see cref="EscalationLadder"/>: who is next, and when).</summary>
    public EscalationLadder Ladder => new(Escalation.Count, EscalateAfter, RepeatEvery);
}

/// <summary>What a notification is about; recorded in <c>notifications.event</c>.</summary>
internal static class NotificationEvents
{
    public const string Firing = AlertStates.Firing;
    public const string Escalated = EscalationLadder.Escalated;
    public const string Repeated = EscalationLadder.Repeated;
    public const string Acknowledged = AlertStates.Acknowledged;
    public const string Resolved = AlertStates.Resolved;
}

/// <summary>Decides who hears about an alert: routes by site and severity, contacts, and their channels. No I/O.</summary>
internal sealed class NotificationRouter
{
    private readonly Dictionary<string, OnCallContact> _contacts;
    private readonly Dictionary<string, OnCallRoute> _byName;

    public NotificationRouter(NotificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _contacts = options.Contacts.ToDictionary(
            c => c.Key,
            c => new OnCallContact(c.Key, string.IsNullOrWhiteSpace(c.Value.Name) ? c.Key : c.Value.Name, [.. c.Value.Channels], [.. c.Value.Email]),
            StringComparer.Ordinal);
        Routes = [.. options.Routes.Select((r, i) => new OnCallRoute(
            RouteName(r, i), [.. r.Sites], AlertSeverities.ParseOrCritical(r.MinSeverity), [.. r.Escalation],
            AlertSeverities.ParseOrCritical(r.EscalateMinSeverity), r.EscalateAfter, r.RepeatEvery, r.Continue, [.. r.Rules]))];
        _byName = Routes.GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    public IReadOnlyList<OnCallRoute> Routes { get; }

    public static string RouteName(NotificationRouteOptions route, int index)
    {
        ArgumentNullException.ThrowIfNull(route);
        return string.IsNullOrWhiteSpace(route.Name) ? $"route-{index + 1}" : route.Name;
    }

    /// <summary>The routes an alert takes: in order, the first that covers it, and after it more only while each says <c>Continue</c>.</summary>
    public IReadOnlyList<OnCallRoute> Match(string site, AlertSeverity severity, string? ruleId = null)
    {
        var matched = new List<OnCallRoute>();
        foreach (var route in Routes.Where(r => r.Covers(site, severity, ruleId)))
        {
            matched.Add(route);
            if (!route.Continue)
            {
                break;
            }
        }

        return matched;
    }

    public OnCallRoute? Route(string name) => _byName.GetValueOrDefault(name);

    public OnCallContact? Contact(string key) => _contacts.GetValueOrDefault(key);

    /// <summary>The contact at <paramref name="level"/> of a route's ladder (the last one past its end).</summary>
    public OnCallContact? ContactAt(OnCallRoute route, int level)
    {
        ArgumentNullException.ThrowIfNull(route);
        return route.Escalation.Count == 0 ? null : Contact(route.Escalation[Math.Min(level, route.Escalation.Count - 1)]);
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Facilities.Cloud.Domain.Devices;

namespace Facilities.Cloud.Domain.Rules;

/// <summary>Everything a rule may look at about one device, as the cloud knows it now.</summary>
public sealed record DeviceFacts(
    string Site, string Gateway, string Device, string Kind, string Building,
    bool Online, DateTimeOffset StateSince, string? StateReason, DateTimeOffset LastSeen,
    IReadOnlyDictionary<string, PointReading> Points,
    DeviceSettings? Settings = null,
    IReadOnlyDictionary<string, IReadOnlyList<Sample>>? History = null)
{
    /// <summary>The device's parameters, attributes and calendars; the defaults when the caller gave none.</summary>
    public DeviceSettings EffectiveSettings => Settings ?? DeviceSettings.Default;
}

/// <summary>
/// A rule's verdict on a device: whether its condition holds, the value it is about, and why. The why can be given as a
/// function, run the first time <see cref="Detail"/> is read: a healthy device's every message is judged by its rules,
/// and only a verdict that changes an alert is ever explained (formatting the numbers of each was a tenth of the ingest
/// transaction's time in the benchmark).
/// </summary>
public sealed record Verdict
{
    private readonly Func<string>? _explain;
    private string? _detail;

    public Verdict(bool? Active, double? Value, string Detail, string? Suppressed = null)
    {
        (this.Active, this.Value, _detail, this.Suppressed) = (Active, Value, Detail, Suppressed);
    }

    /// <summary>A verdict whose detail is written by <paramref name="explain"/> when it is first read.</summary>
    public Verdict(bool? Active, double? Value, Func<string> explain, string? Suppressed = null)
    {
        (this.Active, this.Value, _explain, this.Suppressed) = (Active, Value, explain, Suppressed);
    }

    public bool? Active { get; init; }

    public double? Value { get; init; }

    public string Detail
    {
        get => _detail ??= _explain!();
        init => _detail = value;
    }

    public string? Suppressed { get; init; }

    /// <summary>The rule cannot tell (its point was never reported): nothing changes.</summary>
    public static Verdict Unknown { get; } = new(null, null, "no data");

    public bool Equals(Verdict? other) =>
        other is not null && Active == other.Active && Nullable.Equals(Value, other.Value) && Detail == other.Detail && Suppressed == other.Suppressed;

    public override int GetHashCode() => HashCode.Combine(Active, Value, Detail, Suppressed);

    public void Deconstruct(out bool? active, out double? value, out string detail, out string? suppressed) =>
        (active, value, detail, suppressed) = (Active, Value, Detail, Suppressed);
}

/// <summary>
/// Decides whether a rule's condition holds for a device. Pure: the alert engine owns time ("for", flapping) and
/// storage. <c>wasActive</c> lets thresholds apply hysteresis: an active alert clears only past <c>clear</c>.
/// </summary>
public static class RuleEvaluator
{
    public static Verdict Evaluate(RuleDefinition rule, DeviceFacts facts, bool wasActive, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(facts);
        if (rule.During is { } calendar && facts.EffectiveSettings.During(calendar, now) != true)
        {
            // Out of season (rooms under 18 °C matter only while the heating is on): the rule does not apply.
            return new Verdict(false, null, $"outside {calendar}");
        }

        if (rule.Type is not (RuleType.Offline or RuleType.Stale) && rule.When is { Count: > 0 }
            && !rule.When.Where(c => !IsPerPoint(c)).All(c => Holds(c, facts) == true))
        {
            // A precondition that does not hold (or is unknown) means the rule does not apply: an open alert clears.
            return new Verdict(false, null, "precondition not met");
        }

        var verdict = rule.Type switch
        {
            RuleType.State => rule.AnyOf is { Count: > 0 } ? StateOrAnyOf(rule, facts) : State(rule, facts),
            RuleType.Threshold => Threshold(rule, facts, wasActive, now),
            RuleType.Rate => Rate(rule, facts),
            RuleType.Expiry => Expiry(rule, facts, now),
            RuleType.Offline => facts.Online
                ? new Verdict(false, null, "online")
                : new Verdict(true, null, facts.StateReason is null ? "offline" : $"offline: {facts.StateReason}"),
            RuleType.Stale => Stale(rule, facts, now),
            RuleType.Age => Age(rule, facts, now),
            _ => Verdict.Unknown,
        };
        if (verdict.Active == true && rule.SuppressWhen is { Count: > 0 })
        {
            var suppression = rule.SuppressWhen.FirstOrDefault(c => Holds(c, facts) == true);
            if (suppression is not null)
            {
                verdict = verdict with { Suppressed = suppression.Reason ?? $"{suppression.Point} suppresses" };
            }
        }

        return verdict;
    }

    /// <summary>Whether a point condition holds; null when the point was never reported.</summary>
    public static bool? Holds(PointCondition condition, DeviceFacts facts)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(facts);
        if (!facts.Points.TryGetValue(condition.Point, out var reading))
        {
            return null;
        }

        return Matches(reading, condition.Labels, condition.Values)
            && (condition.Above is not { } above || reading.Value > above)
            && (condition.Below is not { } below || reading.Value < below);
    }

    /// <summary>A condition on <c>port_*_status</c> in a rule on <c>port_*_power</c>: tested for each port the rule's point matches.</summary>
    private static bool IsPerPoint(PointCondition condition) => condition.Point.Contains('*', StringComparison.Ordinal);

    /// <summary>Whether the per-point conditions hold for the point matched with <paramref name="captures"/> in place of the wildcards.</summary>
    private static bool PerPointHolds(RuleDefinition rule, IReadOnlyList<string> captures, DeviceFacts facts) =>
        (rule.When ?? []).Where(IsPerPoint).All(c => Holds(new PointCondition { Point = Substitute(c.Point, captures), Labels = c.Labels, Values = c.Values, Above = c.Above, Below = c.Below }, facts) == true);

    private static string Substitute(string pattern, IReadOnlyList<string> captures)
    {
        var parts = pattern.Split('*');
        var text = new System.Text.StringBuilder(parts[0]);
        for (var i = 1; i < parts.Length; i++)
        {
            text.Append(i - 1 < captures.Count ? captures[i - 1] : "*").Append(parts[i]);
        }

        return text.ToString();
    }

    private static bool Matches(PointReading reading, IReadOnlyList<string>? labels, IReadOnlyList<double>? values) =>
        (labels is null && values is null)
        || (labels is not null && reading.Label is not null && labels.Contains(reading.Label, StringComparer.Ordinal))
        || (values is not null && values.Contains(reading.Value));

    private static Verdict State(RuleDefinition rule, DeviceFacts facts)
    {
        if (!rule.Point!.Contains('*', StringComparison.Ordinal))
        {
            // One point (most rules): the same verdict as below without building lists, since this runs per message.
            if (!facts.Points.TryGetValue(rule.Point, out var reading))
            {
                return Verdict.Unknown;
            }

            return Matches(reading, rule.Labels, rule.Values) != rule.Negate
                ? new Verdict(true, reading.Value, $"{rule.Point} = {reading.Label ?? Number(reading.Value)}")
                : new Verdict(false, reading.Value, "clear");
        }

        var points = PointsMatching(rule.Point!, facts);
        if (points.Count == 0)
        {
            return Verdict.Unknown;
        }

        var hits = points.Where(p => Matches(p.Reading, rule.Labels, rule.Values) != rule.Negate && PerPointHolds(rule, p.Captures, facts)).ToList();
        if (hits.Count == 0)
        {
            return new Verdict(false, points[0].Reading.Value, "clear");
        }

        var detail = string.Join(", ", hits.Select(h => $"{h.Name} = {h.Reading.Label ?? Number(h.Reading.Value)}"));
        return new Verdict(true, hits[0].Reading.Value, detail);
    }

    /// <summary>
    /// A state rule with alternatives: active when one of <c>anyOf</c> holds (named first: a per-fault point says more
    /// than a shared code) or the rule's own point matches; clear when every known point says so.
    /// </summary>
    private static Verdict StateOrAnyOf(RuleDefinition rule, DeviceFacts facts)
    {
        var known = false;
        foreach (var condition in rule.AnyOf!)
        {
            var holds = Holds(condition, facts);
            if (holds == true)
            {
                var reading = facts.Points[condition.Point];
                return new Verdict(true, reading.Value, $"{condition.Point} = {reading.Label ?? Number(reading.Value)}");
            }

            known |= holds == false;
        }

        var own = State(rule, facts);
        return own.Active is null && known ? new Verdict(false, null, "clear") : own;
    }

    private static Verdict Threshold(RuleDefinition rule, DeviceFacts facts, bool wasActive, DateTimeOffset now)
    {
        if (rule.Point!.Contains('*', StringComparison.Ordinal))
        {
            // One limit for every matching point (each charging port): active while any one is past it.
            Verdict? first = null;
            var any = false;
            foreach (var (name, _, captures) in PointsMatching(rule.Point, facts))
            {
                var verdict = ThresholdOf(rule, name, facts, wasActive, now);
                if (verdict.Active == true && PerPointHolds(rule, captures, facts))
                {
                    return verdict;
                }

                any |= verdict.Active is not null;
                first ??= verdict;
            }

            return any ? new Verdict(false, first?.Value, "clear") : Verdict.Unknown;
        }

        return ThresholdOf(rule, rule.Point, facts, wasActive, now);
    }

    private static Verdict ThresholdOf(RuleDefinition rule, string point, DeviceFacts facts, bool wasActive, DateTimeOffset now)
    {
        if (!facts.Points.TryGetValue(point, out var reading))
        {
            return Verdict.Unknown;
        }

        // Relative limits move with the reference point (a boiler's setpoint follows the heating curve).
        var reference = 0.0;
        if (rule.RelativeTo is { } relativeTo)
        {
            if (!facts.Points.TryGetValue(relativeTo, out var referenceReading))
            {
                return Verdict.Unknown;
            }

            reference = referenceReading.Value;
        }

        var value = reading.Value;
        if (rule.Window is { } window)
        {
            // An hourly mean or an increase per hour, over the samples the cloud has heard, the last one holding until now.
            if (facts.History?.GetValueOrDefault(point) is not { Count: > 0 } samples
                || Aggregate(window, samples, facts, now) is not { } aggregate)
            {
                return Verdict.Unknown;
            }

            value = aggregate;
        }

        string What() => rule.Window is not { } window ? point
            : $"{window.Function.ToString().ToLowerInvariant()} of {point} over {Span(window.Over)}{(window.While is { } gate ? $" while {gate.Reason ?? gate.Point}" : "")}";

        var settings = facts.EffectiveSettings;
        string Basis(Limit limit, double offset)
        {
            var parts = new List<string>();
            if (rule.RelativeTo is not null)
            {
                parts.Add($"{rule.RelativeTo} {Number(reference)} {(offset < 0 ? "−" : "+")} {Number(Math.Abs(offset))}");
            }

            if (limit.Parameter is not null)
            {
                parts.Add(limit.ToString());
            }

            return parts.Count == 0 ? "" : " = " + string.Join(", ", parts);
        }

        var isAbove = rule.Above is not null;
        var limit = rule.Above ?? rule.Below;
        if (limit is null || limit.Resolve(settings) is not { } offset)
        {
            return Verdict.Unknown; // a parameter this device does not have (the check refuses rules that name unknown ones)
        }

        var clearOffset = rule.Clear is null ? offset : rule.Clear.Resolve(settings) ?? offset;
        var bound = reference + offset;
        var clear = reference + clearOffset;
        var active = isAbove
            ? (wasActive ? value > clear : value > bound)
            : (wasActive ? value < clear : value < bound);
        return new Verdict(active, value, () =>
        {
            var clears = rule.Clear is null ? "" : $", clears {(isAbove ? "below" : "above")} {Number(clear)}";
            return $"{What()} = {Number(value)} (limit {Number(bound)}{Basis(limit, offset)}{clears})";
        });
    }

    /// <summary>The window's aggregate; a gated mean counts only the time its gate point admitted (null when it never did).</summary>
    private static double? Aggregate(RuleWindow window, IReadOnlyList<Sample> samples, DeviceFacts facts, DateTimeOffset now) =>
        window.While is { } gate
            ? facts.History?.GetValueOrDefault(gate.Point) is { Count: > 0 } gated ? WindowAggregate.MeanWhile(samples, gated, window.Admits, window.Over, now) : null
            : WindowAggregate.Of(window.Function, samples, window.Over, now);

    private static string Span(TimeSpan span) =>
        span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0} h" : $"{span.TotalMinutes:0.#} min";

    private static Verdict Rate(RuleDefinition rule, DeviceFacts facts)
    {
        if (!facts.Points.TryGetValue(rule.Point!, out var reading) || reading.Previous is not { } previous || reading.PreviousTs is not { } previousTs
            || reading.Ts <= previousTs)
        {
            return Verdict.Unknown;
        }

        var perMinute = (reading.Value - previous) / (reading.Ts - previousTs).TotalMinutes;
        var active = (rule.RisePerMinute is { } rise && perMinute > rise) || (rule.FallPerMinute is { } fall && -perMinute > fall);
        return new Verdict(active, reading.Value, $"{rule.Point} changing {perMinute:+0.##;-0.##} per minute ({Number(previous)} → {Number(reading.Value)})");
    }

    private static Verdict Expiry(RuleDefinition rule, DeviceFacts facts, DateTimeOffset now)
    {
        if (!facts.Points.TryGetValue(rule.Point!, out var reading))
        {
            return Verdict.Unknown;
        }

        var date = ParseDate(reading.Value, rule.DateFormat);
        if (date is null)
        {
            return new Verdict(true, reading.Value, $"{rule.Point} = {Number(reading.Value)} is not a valid date");
        }

        var days = (date.Value - now).TotalDays;
        var active = days <= (rule.DaysAhead ?? 30);
        return new Verdict(active, reading.Value,
            days < 0 ? $"{rule.Point} expired on {date.Value:yyyy-MM-dd}" : $"{rule.Point} expires on {date.Value:yyyy-MM-dd} (in {Math.Floor(days)} days)");
    }

    private static Verdict Stale(RuleDefinition rule, DeviceFacts facts, DateTimeOffset now)
    {
        if (!facts.Online)
        {
            // The gateway said why the device is silent; the offline rule speaks for it.
            return new Verdict(false, null, "offline");
        }

        var silent = now - facts.LastSeen;
        var after = rule.After ?? TimeSpan.FromMinutes(15);
        var since = facts.LastSeen;
        return new Verdict(silent > after, silent.TotalMinutes, () => $"nothing heard for {silent.TotalMinutes:0} min (since {since:yyyy-MM-dd HH:mm:ss} UTC)");
    }

    private static Verdict Age(RuleDefinition rule, DeviceFacts facts, DateTimeOffset now)
    {
        if (!facts.Points.TryGetValue(rule.Point!, out var reading))
        {
            return Verdict.Unknown;
        }

        if (ParseDate(reading.Value, rule.DateFormat) is not { } date)
        {
            return new Verdict(true, reading.Value, $"{rule.Point} = {Number(reading.Value)}: never, or not a valid time");
        }

        var age = now - date;
        var after = rule.After ?? TimeSpan.FromDays(1);
        return new Verdict(age > after, reading.Value,
            $"{rule.Point} at {date:yyyy-MM-dd HH:mm} UTC, {age.TotalHours:0} h ago (limit {after.TotalHours:0} h)");
    }

    /// <summary>A date point: <c>yyyymmdd</c> as a decimal number, or Unix seconds. Null when it is no date at all.</summary>
    public static DateTimeOffset? ParseDate(double value, string format)
    {
        if (format == "unix")
        {
            return value is > 0 and < 32503680000 ? DateTimeOffset.FromUnixTimeSeconds((long)value) : null;
        }

        var text = ((long)value).ToString(CultureInfo.InvariantCulture);
        return DateTime.TryParseExact(text, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            ? new DateTimeOffset(date, TimeSpan.Zero)
            : null;
    }

    private static List<(string Name, PointReading Reading, IReadOnlyList<string> Captures)> PointsMatching(string pattern, DeviceFacts facts)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal))
        {
            return facts.Points.TryGetValue(pattern, out var reading) ? [(pattern, reading, [])] : [];
        }

        var matcher = Matchers.GetOrAdd(pattern, p => new PatternMatcher(p));
        var found = new List<(string Name, PointReading Reading, IReadOnlyList<string> Captures)>();
        foreach (var (name, reading) in facts.Points)
        {
            if (matcher.Captures(name) is { } captures)
            {
                found.Add((name, reading, captures));
            }
        }

        found.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return found;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, PatternMatcher> Matchers = new(StringComparer.Ordinal);

    /// <summary>
    /// Which point names a wildcard pattern matches, with what each <c>*</c> stood for, worked out once per name: a
    /// kind's point names are few and fixed, and matching a regular expression against every point of a shed at every
    /// evaluation cost a sixth of the alert-quality month's time. Names past a bound are matched without being kept
    /// (a gateway sending ever new names must not grow the cloud's memory).
    /// </summary>
    private sealed class PatternMatcher(string pattern)
    {
        private const int MaxNames = 10_000;
        private readonly Regex _regex = PointPattern(pattern);
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]?> _names = new(StringComparer.Ordinal);

        public string[]? Captures(string name)
        {
            if (_names.TryGetValue(name, out var known))
            {
                return known;
            }

            var match = _regex.Match(name);
            string[]? captures = match.Success ? [.. match.Groups.Cast<Group>().Skip(1).Select(g => g.Value)] : null;
            if (_names.Count < MaxNames)
            {
                _names.TryAdd(name, captures);
            }

            return captures;
        }
    }

    /// <summary>
    /// A point name with <c>*</c> wildcards as a regular expression matching whole names; built once per pattern (the
    /// patterns are the rule files', a handful), because building one took more of ingestion's time than matching.
    /// </summary>
    public static Regex PointPattern(string pattern) => Patterns.GetOrAdd(pattern, static p =>
        new("^" + Regex.Escape(p).Replace("\\*", "([^/]*)", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

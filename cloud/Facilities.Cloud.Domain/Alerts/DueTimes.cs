using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Alerts;

/// <summary>
/// When a device or gateway must be looked at again without a new message, in two parts that are written by different
/// parties: <see cref="Silence"/> moves with "last heard" (the ingestion transaction pushes it on), <see cref="Timer"/>
/// with the alerts and dated points (whoever evaluated the rules sets it). Null parts wait for a message instead.
/// </summary>
public sealed record DueTime(DateTimeOffset? Silence, DateTimeOffset? Timer)
{
    public static DueTime None { get; } = new(null, null);

    /// <summary>The earlier of the two parts; null when nothing is due without a message.</summary>
    public DateTimeOffset? Next => (Silence, Timer) switch
    {
        ({ } s, { } t) => s < t ? s : t,
        ({ } s, null) => s,
        (null, var t) => t,
    };
}

/// <summary>
/// What is due next for one subject, given what is known about it now: the pure half of the due-work table (the
/// host stores these times and works them in due order instead of re-reading the whole fleet on a timer). A time
/// returned here is never later than the moment a rule's verdict or an alert's state can change without a message;
/// an earlier one only costs an evaluation that changes nothing.
/// </summary>
public static class DueTimes
{
    /// <summary>Strict comparisons ("silent for more than <c>after</c>") hold one tick of the stored resolution past the limit.</summary>
    private static readonly TimeSpan JustPast = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// The device's due time after its rules were evaluated at <paramref name="now"/>: silence rules come due when the
    /// device has been quiet for their <c>after</c>, unless their alert is already open (then only a message changes it) or
    /// the device is offline or its gateway is down (then a message, or the gateway coming back, wakes it); pending alerts
    /// when their <c>for</c> runs out; flapping alerts when their hold ends; expiry and age rules when their date comes near (a date already past was judged now: only a new value changes it);
    /// windowed rules, while their window is not settled (an hourly mean moves as the last value holds and older values
    /// leave), every <see cref="WindowStep"/> of their window — so a mean that crosses its limit between messages is
    /// caught within a sixtieth of the window, not at the next message.
    /// </summary>
    public static DueTime Device(IEnumerable<RuleDefinition> rules, DeviceFacts facts, IReadOnlyDictionary<string, Alert> open, bool gatewayDown, TimeSpan flapHold, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(open);
        DateTimeOffset? silence = null;
        DateTimeOffset? timer = null;
        foreach (var rule in rules)
        {
            var alert = open.GetValueOrDefault(rule.Id);
            if (alert is { State: AlertState.Resolved })
            {
                alert = null;
            }

            var linkRule = rule.Type is RuleType.Offline or RuleType.Stale;
            if (gatewayDown && linkRule)
            {
                continue; // not evaluated while the gateway is down; its return wakes the device
            }

            if (alert is { State: AlertState.Pending })
            {
                timer = Earlier(timer, alert.OpenedAt + (rule.For ?? TimeSpan.Zero));
            }

            if (alert is { Flapping: true, ClearSince: { } clearSince })
            {
                timer = Earlier(timer, clearSince + flapHold);
            }

            if (rule.Window is { } window && Moving(rule, window, facts, now))
            {
                timer = Earlier(timer, now + WindowStep(window));
            }

            switch (rule.Type)
            {
                case RuleType.Stale when facts.Online && (alert is null || alert.ClearSince is not null):
                    silence = Earlier(silence, facts.LastSeen + (rule.After ?? TimeSpan.FromMinutes(15)) + JustPast);
                    break;
                case RuleType.Expiry when alert is null && DatePoint(rule, facts) is { } date && date - TimeSpan.FromDays(rule.DaysAhead ?? 30) is var near && near > now:
                    timer = Earlier(timer, near);
                    break;
                case RuleType.Age when alert is null && DatePoint(rule, facts) is { } date && date + (rule.After ?? TimeSpan.FromDays(1)) + JustPast is var old && old > now:
                    timer = Earlier(timer, old);
                    break;
            }
        }

        return new DueTime(silence, timer);
    }

    /// <summary>
    /// A gateway's due time: when it has been quiet for <paramref name="gatewaySilence"/> (unless it is down already: then
    /// its next message brings it back), and when the hold of its flapping offline alert ends.
    /// </summary>
    public static DueTime Gateway(bool down, DateTimeOffset lastSeen, Alert? open, TimeSpan gatewaySilence, TimeSpan flapHold)
    {
        DateTimeOffset? timer = open is { Flapping: true, ClearSince: { } clearSince, State: not AlertState.Resolved } ? clearSince + flapHold : null;
        return new DueTime(down ? null : lastSeen + gatewaySilence + JustPast, timer);
    }

    /// <summary>
    /// A due time that is already past after an evaluation (a pending alert whose rule cannot tell, a rule no longer
    /// loaded) is put off by <paramref name="retry"/> instead of being worked again at once, over and over.
    /// </summary>
    public static DueTime NotBefore(DueTime due, DateTimeOffset now, TimeSpan retry)
    {
        ArgumentNullException.ThrowIfNull(due);
        return new DueTime(
            due.Silence is { } s && s <= now ? now + retry : due.Silence,
            due.Timer is { } t && t <= now ? now + retry : due.Timer);
    }

    /// <summary>How often a moving window is looked at again: a sixtieth of it (a minute for an hourly mean), between a second and five minutes.</summary>
    public static TimeSpan WindowStep(RuleWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var step = window.Over / 60;
        return step < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : step > TimeSpan.FromMinutes(5) ? TimeSpan.FromMinutes(5) : step;
    }

    /// <summary>Whether the rule's windowed point (or its gate) changed within the window: its aggregate moves without a message.</summary>
    private static bool Moving(RuleDefinition rule, RuleWindow window, DeviceFacts facts, DateTimeOffset now) =>
        facts.History is { } history
        && ((rule.Point is { } point && history.GetValueOrDefault(point) is { Count: > 1 } samples && !WindowAggregate.Settled(samples, window.Over, now))
            || (window.While is { } gate && history.GetValueOrDefault(gate.Point) is { Count: > 1 } gated && !WindowAggregate.Settled(gated, window.Over, now)));

    private static DateTimeOffset? DatePoint(RuleDefinition rule, DeviceFacts facts) =>
        rule.Point is { } point && facts.Points.TryGetValue(point, out var reading) ? RuleEvaluator.ParseDate(reading.Value, rule.DateFormat) : null;

    private static DateTimeOffset Earlier(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;
}

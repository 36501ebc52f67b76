using System.Globalization;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Alerts;

/// <summary>An alert as the lifecycle sees it (one row of the alerts table; <see cref="Id"/> is 0 before it is stored).</summary>
public sealed record Alert(
    long Id,
    AlertState State,
    DateTimeOffset OpenedAt,
    DateTimeOffset? FiredAt = null,
    DateTimeOffset? ClearSince = null,
    bool Flapping = false,
    int Occurrences = 1,
    string? Detail = null,
    double? Value = null,
    string? Suppressed = null,
    DateTimeOffset? AcknowledgedAt = null,
    string? AcknowledgedBy = null,
    DateTimeOffset? ResolvedAt = null,
    string? ResolvedBy = null);

/// <summary>What of a rule the lifecycle needs: who it is, how loud, and how long its condition must hold before it fires.</summary>
public sealed record AlertRule(string Id, string Severity, string Title, TimeSpan For)
{
    public static AlertRule Of(RuleDefinition rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return new(rule.Id, rule.Severity, rule.Title, rule.For ?? TimeSpan.Zero);
    }

    /// <summary>The rule as it applies to one device: its "for" may come from a device parameter (<see cref="RuleDefinition.ForParameter"/>).</summary>
    public static AlertRule Of(RuleDefinition rule, DeviceSettings? settings)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return new(rule.Id, rule.Severity, rule.Title, rule.PendingFor(settings) ?? TimeSpan.Zero);
    }
}

/// <summary>Flapping: <see cref="Count"/> firings within <see cref="Window"/> keep an alert open until its condition stayed clear for <see cref="Hold"/>.</summary>
public sealed record FlapPolicy(int Count, TimeSpan Window, TimeSpan Hold);

/// <summary>Something that happened to an alert's subject: what moves the lifecycle.</summary>
public abstract record AlertFact;

/// <summary>
/// A rule's verdict on the device at the transition's time, with the maintenance window covering it (null: none). Time
/// passing is the same verdict observed again later: "for", flapping holds and silence all turn on it.
/// </summary>
public sealed record ConditionObserved(Verdict Verdict, string? Maintenance = null) : AlertFact;

/// <summary>A condition raised by the cloud itself (a work order's deadline passed): fires at once, or is noted on the open alert's trail.</summary>
public sealed record ConditionRaised(string Detail) : AlertFact;

/// <summary>A person acknowledges the alert (they are on it).</summary>
public sealed record AcknowledgedByPerson(string By, string? Note) : AlertFact;

/// <summary>A person resolves the alert, whether or not its condition still holds.</summary>
public sealed record ResolvedByPerson(string By, string? Note) : AlertFact;

/// <summary>How the stored alert changes.</summary>
public enum AlertChange
{
    /// <summary>Nothing to write.</summary>
    None,

    /// <summary>A new alert, pending or firing.</summary>
    Opened,

    /// <summary>Pending → firing: its "for" ran out.</summary>
    Fired,

    /// <summary>A flapping alert held open saw its condition come back: one more occurrence, no new page.</summary>
    Recurred,

    /// <summary>Cleared, but fired too often lately: held open until the condition stays clear for the hold.</summary>
    StartedFlapping,

    /// <summary>A flapping alert's condition cleared: the hold starts counting.</summary>
    HoldStarted,

    /// <summary>A pending alert whose condition cleared before its time was up: it leaves nothing behind.</summary>
    Discarded,

    /// <summary>→ acknowledged, by a person.</summary>
    Acknowledged,

    /// <summary>→ resolved, by the system (condition clear) or by a person.</summary>
    Resolved,

    /// <summary>The open alert stays as it is; its trail notes that the condition was raised again.</summary>
    Noted,

    /// <summary>A person's action that the alert's state does not allow (<see cref="AlertTransition.Refusal"/> says why, after "alert {id} ").</summary>
    Refused,
}

/// <summary>An audit-trail action, as stored in <c>alert_events.action</c>.</summary>
public enum AlertAction
{
    Pending,
    Fired,
    Recurred,
    Flapping,
    Acknowledged,
    Resolved,
}

/// <summary>A notice that observers (notifications, work orders) receive: the state it announces, what it says, and who acted.</summary>
public sealed record AlertAnnouncement(AlertState State, string? Detail, double? Value, string? By = null);

/// <summary>One event of a transition: a line of the alert's audit trail and, unless the alert is suppressed, a notice.</summary>
public sealed record AlertEvent(AlertAction Action, string Actor, string? Detail, AlertAnnouncement? Notice = null)
{
    /// <summary>The action's stored name (<c>alert_events.action</c>).</summary>
    public string ActionName => Action switch
    {
        AlertAction.Pending => "pending",
        AlertAction.Fired => "fired",
        AlertAction.Recurred => "recurred",
        AlertAction.Flapping => "flapping",
        AlertAction.Acknowledged => "acknowledged",
        AlertAction.Resolved => "resolved",
        _ => throw new InvalidOperationException($"no stored name for {Action}"),
    };
}

/// <summary>The outcome of one fact: how the alert changes, the alert after it (null when there is none), and the events to emit.</summary>
public sealed record AlertTransition(AlertChange Change, Alert? Next, IReadOnlyList<AlertEvent> Events, string? Refusal = null)
{
    public static AlertTransition Nothing(Alert? current) => new(AlertChange.None, current, []);
}

/// <summary>
/// The alert lifecycle as one function: a fact about a rule's subject, the rule, the alert open for it (or none) and
/// the time give the next alert and the events to emit. Pure: storing the alert, its trail and its notices is the
/// host's (Alerts/AlertStore.cs), which also guards each change against another instance making it first.
/// <code>
///   (none) ──holds, for > 0──► pending ──for ran out──► firing ──person──► acknowledged
///     │                          │ clears: discarded      │  │                   │
///     └──holds, for = 0──────────┼────────────────────────┘  └──clears / person──┴──► resolved
///                                └──person──────────────────────────────────────────► resolved
/// </code>
/// A firing or acknowledged alert that clears after firing <see cref="FlapPolicy.Count"/> times within the window is
/// flapping: it stays open until its condition stayed clear for <see cref="FlapPolicy.Hold"/>; the condition coming
/// back meanwhile is one more occurrence, not a new page. Suppressed alerts (a <c>suppressWhen</c> condition, a
/// maintenance window) go through the same states but announce nothing.
/// </summary>
public sealed class AlertLifecycle(FlapPolicy flap)
{
    private const string System = "system";

    public FlapPolicy Flap { get; } = flap ?? throw new ArgumentNullException(nameof(flap));

    /// <summary>
    /// Whether <see cref="Next"/> needs to know how often the rule fired on the device within <see cref="FlapPolicy.Window"/>
    /// (the alerts of the past are the host's to count): only when an open alert that is not flapping yet clears.
    /// </summary>
    public static bool NeedsRecentFirings(AlertFact fact, Alert? current) =>
        fact is ConditionObserved { Verdict.Active: false } && current is { State: AlertState.Firing or AlertState.Acknowledged, Flapping: false };

    /// <summary>The next alert and the events of <paramref name="fact"/>; <paramref name="recentFirings"/> counts this rule's firings on the device since now − window (see <see cref="NeedsRecentFirings"/>).</summary>
    public AlertTransition Next(AlertFact fact, AlertRule rule, Alert? current, DateTimeOffset now, int recentFirings = 0)
    {
        ArgumentNullException.ThrowIfNull(fact);
        ArgumentNullException.ThrowIfNull(rule);
        if (current is { State: AlertState.Resolved })
        {
            current = null; // a resolved alert is history: whatever happens next concerns a new one
        }

        return fact switch
        {
            ConditionObserved { Verdict.Active: true } observed => Holds(observed, rule, current, now),
            ConditionObserved { Verdict.Active: false } observed => Clears(observed.Verdict, current, now, recentFirings),
            ConditionObserved => AlertTransition.Nothing(current), // the rule cannot tell (no data): nothing changes
            ConditionRaised raised => Raised(raised, current, now),
            AcknowledgedByPerson person => Acknowledge(person, current, now),
            ResolvedByPerson person => ResolveByPerson(person, current, now),
            _ => throw new ArgumentException($"unknown fact {fact.GetType().Name}", nameof(fact)),
        };
    }

    private static AlertTransition Holds(ConditionObserved observed, AlertRule rule, Alert? current, DateTimeOffset now)
    {
        var verdict = observed.Verdict;
        var suppressed = verdict.Suppressed ?? observed.Maintenance;
        if (current is null)
        {
            var state = rule.For > TimeSpan.Zero ? AlertState.Pending : AlertState.Firing;
            var opened = new Alert(0, state, now, state == AlertState.Firing ? now : null, Detail: verdict.Detail, Value: verdict.Value, Suppressed: suppressed);
            var notice = state == AlertState.Firing ? Announce(AlertState.Firing, verdict.Detail, verdict.Value, suppressed) : null;
            return new(AlertChange.Opened, opened, [new AlertEvent(state == AlertState.Firing ? AlertAction.Fired : AlertAction.Pending, System, verdict.Detail, notice)]);
        }

        if (current.State == AlertState.Pending && now - current.OpenedAt >= rule.For)
        {
            var fired = current with { State = AlertState.Firing, FiredAt = now, Detail = verdict.Detail, Value = verdict.Value, Suppressed = suppressed };
            return new(AlertChange.Fired, fired, [new AlertEvent(AlertAction.Fired, System, verdict.Detail, Announce(AlertState.Firing, verdict.Detail, verdict.Value, suppressed))]);
        }

        if (current.ClearSince is not null)
        {
            var back = current with { ClearSince = null, Occurrences = current.Occurrences + 1, Detail = verdict.Detail, Value = verdict.Value };
            return new(AlertChange.Recurred, back, [new AlertEvent(AlertAction.Recurred, System, verdict.Detail)]);
        }

        return AlertTransition.Nothing(current);
    }

    private AlertTransition Clears(Verdict verdict, Alert? current, DateTimeOffset now, int recentFirings)
    {
        if (current is null)
        {
            return AlertTransition.Nothing(null);
        }

        if (current.State == AlertState.Pending)
        {
            return new(AlertChange.Discarded, null, []);
        }

        if (!current.Flapping)
        {
            if (recentFirings >= Flap.Count)
            {
                var detail = string.Create(CultureInfo.InvariantCulture,
                    $"fired {recentFirings} times within {Flap.Window.TotalMinutes:0} min: held open until clear for {Flap.Hold.TotalMinutes:0} min");
                return new(AlertChange.StartedFlapping, current with { Flapping = true, ClearSince = now }, [new AlertEvent(AlertAction.Flapping, System, detail)]);
            }
        }
        else
        {
            if (current.ClearSince is not { } clearSince)
            {
                return new(AlertChange.HoldStarted, current with { ClearSince = now }, []);
            }

            if (now - clearSince < Flap.Hold)
            {
                return AlertTransition.Nothing(current);
            }
        }

        var resolved = current with { State = AlertState.Resolved, ResolvedAt = now, ResolvedBy = System };
        return new(AlertChange.Resolved, resolved,
            [new AlertEvent(AlertAction.Resolved, System, verdict.Detail, Announce(AlertState.Resolved, verdict.Detail, verdict.Value, current.Suppressed))]);
    }

    private static AlertTransition Raised(ConditionRaised raised, Alert? current, DateTimeOffset now)
    {
        if (current is not null)
        {
            return new(AlertChange.Noted, current, [new AlertEvent(AlertAction.Recurred, System, raised.Detail)]);
        }

        var opened = new Alert(0, AlertState.Firing, now, now, Detail: raised.Detail);
        return new(AlertChange.Opened, opened, [new AlertEvent(AlertAction.Fired, System, raised.Detail, Announce(AlertState.Firing, raised.Detail, null, null))]);
    }

    private static AlertTransition Acknowledge(AcknowledgedByPerson person, Alert? current, DateTimeOffset now)
    {
        if (current is not { State: AlertState.Firing })
        {
            return Refuse(current, "acknowledged");
        }

        var acknowledged = current with { State = AlertState.Acknowledged, AcknowledgedAt = now, AcknowledgedBy = person.By };
        return new(AlertChange.Acknowledged, acknowledged,
            [new AlertEvent(AlertAction.Acknowledged, person.By, person.Note, Announce(AlertState.Acknowledged, person.Note ?? current.Detail, current.Value, current.Suppressed, person.By))]);
    }

    private static AlertTransition ResolveByPerson(ResolvedByPerson person, Alert? current, DateTimeOffset now)
    {
        if (current is null)
        {
            return Refuse(current, "resolved");
        }

        var resolved = current with { State = AlertState.Resolved, ResolvedAt = now, ResolvedBy = person.By };
        return new(AlertChange.Resolved, resolved,
            [new AlertEvent(AlertAction.Resolved, person.By, person.Note, Announce(AlertState.Resolved, person.Note ?? current.Detail, current.Value, current.Suppressed, person.By))]);
    }

    /// <summary>A person asked for what the state does not allow; <paramref name="current"/> null here means it is already resolved.</summary>
    private static AlertTransition Refuse(Alert? current, string what) =>
        new(AlertChange.Refused, current, [], $"is {(current?.State ?? AlertState.Resolved).Name()}; it cannot be {what}");

    private static AlertAnnouncement? Announce(AlertState state, string? detail, double? value, string? suppressed, string? by = null) =>
        suppressed is null ? new AlertAnnouncement(state, detail, value, by) : null;
}

using Facilities.Cloud.Domain.Alerts;

namespace Facilities.Cloud.Domain.Notifications;

/// <summary>An escalation step: notify contact <see cref="Level"/> (reminder number <see cref="Round"/>) with event <see cref="Event"/>.</summary>
public sealed record EscalationStep(int Level, int Round, string Event);

/// <summary>What to do with a ladder whose step came due: stop it (and why), or take <see cref="Step"/> and come back at <see cref="NextAt"/>.</summary>
public sealed record EscalationDecision(EscalationStep? Step, DateTimeOffset? NextAt, string? Stopped)
{
    public static EscalationDecision Stop(string reason) => new(null, null, reason);
}

/// <summary>
/// A route's escalation ladder as pure arithmetic on (level, round): level is the index of the contact notified last,
/// round counts reminders at that level. <paramref name="Contacts"/> contacts in order; the next is notified after
/// <paramref name="EscalateAfter"/> without an acknowledgement, and once the last has it, it is reminded every
/// <paramref name="RepeatEvery"/> (zero: never).
/// </summary>
public sealed record EscalationLadder(int Contacts, TimeSpan EscalateAfter, TimeSpan RepeatEvery)
{
    /// <summary>The event of a step to the next contact.</summary>
    public const string Escalated = "escalated";

    /// <summary>The event of a reminder to the last contact.</summary>
    public const string Repeated = "repeated";

    /// <summary>How long after notifying <paramref name="level"/> the next step is due; null when there is none.</summary>
    public TimeSpan? WaitAfter(int level) =>
        level + 1 < Contacts ? EscalateAfter : RepeatEvery > TimeSpan.Zero ? RepeatEvery : null;

    /// <summary>The step after (level, round): the next contact, or another reminder to the last one; null when the ladder ends.</summary>
    public EscalationStep? Next(int level, int round) =>
        level + 1 < Contacts ? new EscalationStep(level + 1, 0, Escalated)
        : RepeatEvery > TimeSpan.Zero ? new EscalationStep(level, round + 1, Repeated)
        : null;

    /// <summary>
    /// The decision for a ladder at (<paramref name="level"/>, <paramref name="round"/>) that came due at
    /// <paramref name="now"/>, for an alert in <paramref name="alertState"/>: an alert no longer firing, or acknowledged,
    /// stops its ladder (<c>alert {state}</c>); so does a route no longer configured (<paramref name="ladder"/> null) and a
    /// ladder with no step left. Otherwise the next step, due again after its wait, or marked <c>ladder ended</c> when it
    /// is the last.
    /// </summary>
    public static EscalationDecision Decide(EscalationLadder? ladder, string alertState, bool acknowledged, int level, int round, DateTimeOffset now)
    {
        if (alertState != AlertStates.Firing || acknowledged)
        {
            return EscalationDecision.Stop($"alert {alertState}");
        }

        if (ladder is null)
        {
            return EscalationDecision.Stop("route no longer configured");
        }

        if (ladder.Next(level, round) is not { } step)
        {
            return EscalationDecision.Stop(LadderEnded);
        }

        return ladder.WaitAfter(step.Level) is { } wait ? new EscalationDecision(step, now + wait, null) : new EscalationDecision(step, null, LadderEnded);
    }

    /// <summary>Why a ladder with no further step stopped.</summary>
    public const string LadderEnded = "ladder ended";
}

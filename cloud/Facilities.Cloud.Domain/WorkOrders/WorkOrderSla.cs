using System.Globalization;

namespace Facilities.Cloud.Domain.WorkOrders;

/// <summary>
/// What the SLA arithmetic needs of a work order: its two deadlines (null without a policy), when someone responded
/// (started or resolved it), when it was resolved and closed, and which breaches are already recorded.
/// </summary>
public sealed record WorkOrderClock(
    DateTimeOffset? RespondBy, DateTimeOffset? ResolveBy, DateTimeOffset? RespondedAt, DateTimeOffset? ResolvedAt, DateTimeOffset? ClosedAt,
    DateTimeOffset? RespondBreachedAt, DateTimeOffset? ResolveBreachedAt);

/// <summary>A deadline (<see cref="WorkOrderSla.Respond"/> or <see cref="WorkOrderSla.Resolve"/>) that passed at <c>DueAt</c>.</summary>
public sealed record SlaBreach(string Deadline, DateTimeOffset DueAt);

/// <summary>
/// Work-order deadlines without I/O: when they fall, which have passed unrecorded, and how a breach is worded. Deadlines
/// count elapsed time from the alert, so one that spans the site's midnight or a daylight-saving change is as long as
/// any other; there is no pause: the clock runs until the order is responded to, resolved or closed.
/// </summary>
public static class WorkOrderSla
{
    public const string Respond = "respond";
    public const string Resolve = "resolve";

    /// <summary><paramref name="from"/> plus <paramref name="within"/>; null when the rule sets no such deadline.</summary>
    public static DateTimeOffset? Deadline(DateTimeOffset from, TimeSpan? within) => within is { } span ? from + span : null;

    /// <summary>
    /// The breaches due at <paramref name="now"/> that are not recorded yet, respond before resolve: the response deadline
    /// while nobody responded, the resolution deadline while unresolved; none once the order is resolved or closed. A
    /// deadline is breached from the moment it is reached.
    /// </summary>
    public static IReadOnlyList<SlaBreach> DueBreaches(WorkOrderClock order, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (order.ResolvedAt is not null || order.ClosedAt is not null)
        {
            return [];
        }

        List<SlaBreach> due = [];
        if (order is { RespondBreachedAt: null, RespondedAt: null, RespondBy: { } respondBy } && respondBy <= now)
        {
            due.Add(new(Respond, respondBy));
        }

        if (order is { ResolveBreachedAt: null, ResolveBy: { } resolveBy } && resolveBy <= now)
        {
            due.Add(new(Resolve, resolveBy));
        }

        return due;
    }

    /// <summary>The deadlines recorded as breached, as the API lists them (<c>respond</c>, <c>resolve</c>).</summary>
    public static IReadOnlyList<string> Recorded(bool respondBreached, bool resolveBreached) =>
        [.. respondBreached ? [Respond] : Array.Empty<string>(), .. resolveBreached ? [Resolve] : Array.Empty<string>()];

    /// <summary>How a breach is written on the order's timeline and in its alert: <c>work order 7: respond deadline 2026-11-22 08:30:00 UTC passed (title)</c>.</summary>
    public static string BreachDetail(long orderId, SlaBreach breach, string title)
    {
        ArgumentNullException.ThrowIfNull(breach);
        return string.Create(CultureInfo.InvariantCulture, $"work order {orderId}: {breach.Deadline} deadline {breach.DueAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC passed ({title})");
    }
}

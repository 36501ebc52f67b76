using Facilities.Cloud.Storage;

namespace Facilities.Cloud.WorkOrders;

/// <summary>A row of the work_orders table.</summary>
public sealed record WorkOrderRow
{
    public long Id { get; init; }

    public string Site { get; init; } = "";

    public string Building { get; init; } = "";

    public string Device { get; init; } = "";

    public string Kind { get; init; } = "";

    public string RuleId { get; init; } = "";

    public long? AlertId { get; init; }

    public string Title { get; init; } = "";

    public string Severity { get; init; } = "";

    public string Priority { get; init; } = "";

    public string Status { get; init; } = "";

    public string? Team { get; init; }

    public string? Assignee { get; init; }

    public long? RespondBy { get; init; }

    public long? ResolveBy { get; init; }

    public long? RespondedAt { get; init; }

    public long? ResolvedAt { get; init; }

    public long? ClosedAt { get; init; }

    public long? RespondBreachedAt { get; init; }

    public long? ResolveBreachedAt { get; init; }

    /// <summary>For preventive orders: the schedule and period (<c>elevator-maintenance:2026-11-H2</c>), unique per device.</summary>
    public string? ScheduleKey { get; init; }

    /// <summary>1 for an entrapment rescue order (its rule's policy says <c>rescue</c>): arrival and release are recorded, and only the arrival responds.</summary>
    public int Rescue { get; init; }

    /// <summary>Rescue orders: when the crew arrived at the elevator.</summary>
    public long? ArrivedAt { get; init; }

    /// <summary>Rescue orders: when the passenger was released.</summary>
    public long? ReleasedAt { get; init; }

    public long CreatedAt { get; init; }

    public long UpdatedAt { get; init; }

    /// <summary>The order's deadlines and progress, for the SLA arithmetic.</summary>
    public WorkOrderClock Clock => new(
        UnixTime.FromMs(RespondBy), UnixTime.FromMs(ResolveBy), UnixTime.FromMs(RespondedAt), UnixTime.FromMs(ResolvedAt), UnixTime.FromMs(ClosedAt),
        UnixTime.FromMs(RespondBreachedAt), UnixTime.FromMs(ResolveBreachedAt));

    /// <summary>The deadlines recorded as breached (<c>respond</c>, <c>resolve</c>).</summary>
    public IReadOnlyList<string> Breached => WorkOrderSla.Recorded(RespondBreachedAt is not null, ResolveBreachedAt is not null);
}

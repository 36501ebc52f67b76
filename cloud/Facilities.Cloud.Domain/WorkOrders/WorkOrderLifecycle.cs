namespace Facilities.Cloud.Domain.WorkOrders;

/// <summary>A state change a person asks for: the status it needs and the status it leads to.</summary>
public sealed record WorkOrderTransition(string Action, string To);

/// <summary>
/// The rules of a work order's life, without I/O: open → assigned → in_progress → resolved → closed, priority from
/// severity (deadlines: <see cref="WorkOrderSla"/>). The fault clearing is only recorded; a person resolves and closes.
/// </summary>
public static class WorkOrderLifecycle
{
    public const string Open = "open";
    public const string Assigned = "assigned";
    public const string InProgress = "in_progress";
    public const string Resolved = "resolved";
    public const string Closed = "closed";

    public static IReadOnlyList<string> Statuses { get; } = [Open, Assigned, InProgress, Resolved, Closed];

    /// <summary>Every action; <c>arrive</c> and <c>release</c> only on entrapment rescue orders (<see cref="EntrapmentRescue"/>).</summary>
    public static IReadOnlyList<string> Actions { get; } = ["assign", "start", "resolve", "close", "note", EntrapmentRescue.Arrive, EntrapmentRescue.Release];

    /// <summary>Where <paramref name="action"/> takes an order in <paramref name="status"/>; null when it is not allowed.</summary>
    public static WorkOrderTransition? Plan(string action, string status) => (action, status) switch
    {
        ("assign", Open or Assigned) => new(action, Assigned),
        ("start", Open or Assigned) => new(action, InProgress),
        ("resolve", Open or Assigned or InProgress) => new(action, Resolved),
        ("close", Resolved) => new(action, Closed),
        ("note", _) => new(action, status),
        (EntrapmentRescue.Arrive or EntrapmentRescue.Release, Open or Assigned or InProgress) => new(action, InProgress),
        _ => null,
    };

    /// <summary>P1 for critical alerts, P2 for warnings, P3 otherwise.</summary>
    public static string Priority(string severity) => severity switch
    {
        "critical" => "P1",
        "warning" => "P2",
        _ => "P3",
    };

    public const string Corrective = "corrective";
    public const string Preventive = "preventive";

    /// <summary>Preventive orders come from a schedule (rule ids <c>preventive.*</c>); all others from alerts.</summary>
    public static string TypeOf(string ruleId) => ruleId.StartsWith("preventive.", StringComparison.Ordinal) ? Preventive : Corrective;
}

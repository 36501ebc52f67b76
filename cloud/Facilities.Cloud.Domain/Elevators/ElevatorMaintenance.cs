namespace Facilities.Cloud.Domain.Elevators;

/// <summary>
/// An elevator's routine maintenance: when it was last done and where that date comes from (<c>work-order</c>, the last
/// resolved preventive order, or <c>configured</c>, a date from before the cloud kept records), when it is next due, and
/// whether that moment has passed.
/// </summary>
public sealed record MaintenanceDue(DateTimeOffset? Last, string? LastSource, DateTimeOffset? Next, bool Overdue);

/// <summary>When an elevator's next routine maintenance is due, without I/O.</summary>
public static class ElevatorMaintenance
{
    public const string FromWorkOrder = "work-order";
    public const string FromConfiguration = "configured";

    /// <summary>
    /// The newer of <paramref name="lastOrder"/> and <paramref name="configured"/> counts (the work order on a tie); the
    /// next is due <paramref name="interval"/> after it. Without either date nothing is due and nothing is overdue.
    /// </summary>
    public static MaintenanceDue Due(DateTimeOffset? lastOrder, DateTimeOffset? configured, TimeSpan interval, DateTimeOffset now)
    {
        var (last, source) = (lastOrder, configured) switch
        {
            ({ } o, { } c) when c > o => ((DateTimeOffset?)c, FromConfiguration),
            ({ } o, _) => (o, FromWorkOrder),
            (null, { } c) => (c, FromConfiguration),
            _ => (null, (string?)null),
        };
        var next = last + interval;
        return new MaintenanceDue(last, source, next, next < now);
    }
}

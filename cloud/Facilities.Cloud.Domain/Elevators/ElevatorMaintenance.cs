namespace Facilities.Cloud.Domain.Elevators;

/// <summary>
/// An elevator's routine maintenance: when it was last done and where that date comes from (<c>work-order</c>, the last
/// resolved preventive order, or <c>configured</c>, a date from before the cloud kept records), when it is next due, and
/// whether that moment has passed.
/// </summary>
public sealed record MaintenanceDue(DateTimeOffset? Last, string? LastSource, DateTimeOffset? Next, bool Overdue);

/// <summary>The maintenance levels of TSG T5002-2017: each visit of a level also does the items of the levels below it.</summary>
public enum MaintenanceLevel
{
    HalfMonthly,
    Quarterly,
    HalfYearly,
    Annual,
}

/// <summary>
/// When an elevator's next routine maintenance is due, without I/O. TSG T5002: at most 15 days between routine visits,
/// counted from the last visit *done* (so a late visit moves the next one, and a calendar half-month never allows a
/// 30-day gap), plus quarterly, half-yearly and annual items. The read model and the preventive scheduler both ask
/// <see cref="NextVisit"/>.
/// </summary>
public static class ElevatorMaintenance
{
    public const string FromWorkOrder = "work-order";
    public const string FromConfiguration = "configured";

    /// <summary>TSG T5002's longest gap between routine (half-monthly) visits.</summary>
    public static TimeSpan HalfMonthly { get; } = TimeSpan.FromDays(15);

    /// <summary>
    /// When the next visit of <paramref name="level"/> is due after the last visit of that level or a higher one,
    /// <paramref name="last"/>. Half-monthly: <paramref name="interval"/> later (15 days), or the elevator's on-demand
    /// interval (按需维保) when it has one — unless a critical fault came after the last visit: then the elevator is back
    /// on the 15-day rhythm, due 15 days after the last visit or, if that has passed, at the fault. Quarterly, half-yearly
    /// and annual: 3, 6 or 12 calendar months later on the site's local calendar (31 January + 3 months is 30 April).
    /// </summary>
    public static DateTimeOffset NextVisit(
        MaintenanceLevel level, DateTimeOffset last, TimeZoneInfo zone, TimeSpan interval, TimeSpan? onDemand = null, DateTimeOffset? lastCriticalFault = null)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (level == MaintenanceLevel.HalfMonthly)
        {
            if (onDemand is not { } stretched)
            {
                return last + interval;
            }

            if (lastCriticalFault is { } fault && fault > last)
            {
                var rhythm = last + interval;
                var fallback = rhythm > fault ? rhythm : fault;
                return fallback < last + stretched ? fallback : last + stretched;
            }

            return last + stretched;
        }

        var months = level switch
        {
            MaintenanceLevel.Quarterly => 3,
            MaintenanceLevel.HalfYearly => 6,
            _ => 12,
        };
        var local = TimeZoneInfo.ConvertTime(last, zone).DateTime.AddMonths(months);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>
    /// The read model's view of the half-monthly visit: the newer of <paramref name="lastOrder"/> and
    /// <paramref name="configured"/> counts (the work order on a tie); the next is due as <see cref="NextVisit"/> says.
    /// Without either date nothing is due and nothing is overdue.
    /// </summary>
    public static MaintenanceDue Due(
        DateTimeOffset? lastOrder, DateTimeOffset? configured, TimeSpan interval, DateTimeOffset now, TimeSpan? onDemand = null, DateTimeOffset? lastCriticalFault = null)
    {
        var (last, source) = (lastOrder, configured) switch
        {
            ({ } o, { } c) when c > o => ((DateTimeOffset?)c, FromConfiguration),
            ({ } o, _) => (o, FromWorkOrder),
            (null, { } c) => (c, FromConfiguration),
            _ => (null, (string?)null),
        };
        if (last is not { } done)
        {
            return new MaintenanceDue(null, null, null, false);
        }

        var next = NextVisit(MaintenanceLevel.HalfMonthly, done, TimeZoneInfo.Utc, interval, onDemand, lastCriticalFault);
        return new MaintenanceDue(last, source, next, next < now);
    }
}

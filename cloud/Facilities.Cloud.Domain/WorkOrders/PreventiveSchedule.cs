using System.Globalization;
using Facilities.Cloud.Domain.Elevators;

namespace Facilities.Cloud.Domain.WorkOrders;

/// <summary>One preventive job due for a device: what the order says and the key that makes it unique per device.</summary>
public sealed record PreventiveJob(string RuleId, string ScheduleKey, string Title, string Severity, string Team, DateTimeOffset DueBy);

/// <summary>
/// The preventive schedules, without I/O: which job a device owes at a moment. Periods are the site's local calendar,
/// and each job has a key (schedule and period) that the database keeps unique per device, so however many instances
/// ask, however often, one order exists per device and period.
/// </summary>
public static class PreventiveSchedule
{
    /// <summary>The half-monthly routine visit (TSG T5002).</summary>
    public const string ElevatorMaintenance = "preventive.elevator-maintenance";
    public const string ElevatorQuarterly = "preventive.elevator-quarterly";
    public const string ElevatorHalfYearly = "preventive.elevator-half-yearly";
    public const string ElevatorAnnual = "preventive.elevator-annual";

    /// <summary>How long before its due moment an elevator's visit becomes an order (a half-month: the next routine visit is planned as soon as the last is done).</summary>
    public static TimeSpan ElevatorLead { get; } = TimeSpan.FromDays(15);

    private static readonly (MaintenanceLevel Level, string RuleId, string Key, string Title)[] ElevatorLevels =
    [
        (MaintenanceLevel.HalfMonthly, ElevatorMaintenance, "elevator-maintenance", "电梯半月维保 Half-monthly elevator maintenance"),
        (MaintenanceLevel.Quarterly, ElevatorQuarterly, "elevator-quarterly", "电梯季度维保 Quarterly elevator maintenance"),
        (MaintenanceLevel.HalfYearly, ElevatorHalfYearly, "elevator-half-yearly", "电梯半年维保 Half-yearly elevator maintenance"),
        (MaintenanceLevel.Annual, ElevatorAnnual, "elevator-annual", "电梯年度维保 Annual elevator maintenance"),
    ];

    /// <summary>The maintenance level of a preventive rule id; null for rules that are no elevator maintenance.</summary>
    public static MaintenanceLevel? ElevatorLevelOf(string ruleId) =>
        ElevatorLevels.FirstOrDefault(l => l.RuleId == ruleId) is { RuleId: not null } found ? found.Level : null;

    /// <summary>
    /// The last visit done at each level, from an elevator's completed preventive orders (rule id, when resolved): what
    /// <see cref="ElevatorJobs"/> counts from. Orders of rules that are no elevator maintenance are passed over.
    /// </summary>
    public static IReadOnlyDictionary<MaintenanceLevel, DateTimeOffset> DoneByLevel(IEnumerable<(string RuleId, DateTimeOffset Resolved)> done)
    {
        ArgumentNullException.ThrowIfNull(done);
        Dictionary<MaintenanceLevel, DateTimeOffset> levels = [];
        foreach (var (ruleId, resolved) in done)
        {
            if (ElevatorLevelOf(ruleId) is { } level && (!levels.TryGetValue(level, out var last) || resolved > last))
            {
                levels[level] = resolved;
            }
        }

        return levels;
    }

    /// <summary>
    /// The TSG T5002 orders an elevator owes at <paramref name="now"/>: for each level (half-monthly, quarterly,
    /// half-yearly, annual) the next visit after the last one *done* at that level or a higher one
    /// (<paramref name="done"/>: level → last resolved), as <see cref="Elevators.ElevatorMaintenance.NextVisit"/> reckons it, once it
    /// is at most <see cref="ElevatorLead"/> away. A level never done counts from <paramref name="since"/> (the elevator's
    /// first preventive order); with no history at all (<paramref name="since"/> null) the first half-monthly visit is
    /// due 15 days from now. Each job's key names the visit it follows, so one order exists per visit however often
    /// this is asked, and a late visit moves the next one instead of leaving a gap.
    /// </summary>
    public static IReadOnlyList<PreventiveJob> ElevatorJobs(
        IReadOnlyDictionary<MaintenanceLevel, DateTimeOffset> done, DateTimeOffset? since, DateTimeOffset now, TimeZoneInfo zone, string team,
        TimeSpan? onDemand = null, DateTimeOffset? lastCriticalFault = null)
    {
        ArgumentNullException.ThrowIfNull(done);
        ArgumentNullException.ThrowIfNull(zone);
        List<PreventiveJob> jobs = [];
        foreach (var (level, ruleId, key, title) in ElevatorLevels)
        {
            var last = done.Where(d => d.Key >= level).Select(d => (DateTimeOffset?)d.Value).Max() ?? since;
            if (last is null && level != MaintenanceLevel.HalfMonthly)
            {
                continue;
            }

            var basis = last ?? now;
            var due = Elevators.ElevatorMaintenance.NextVisit(level, basis, zone, Elevators.ElevatorMaintenance.HalfMonthly,
                level == MaintenanceLevel.HalfMonthly ? onDemand : null, lastCriticalFault);
            if (due - now > ElevatorLead)
            {
                continue;
            }

            var localDue = TimeZoneInfo.ConvertTime(due, zone);
            jobs.Add(new PreventiveJob(ruleId, string.Create(CultureInfo.InvariantCulture, $"{key}:after:{basis.ToUniversalTime():yyyyMMddTHHmmss}"),
                string.Create(CultureInfo.InvariantCulture, $"{title} (due {localDue:yyyy-MM-dd HH:mm})"), "info", team, due));
        }

        return jobs;
    }
    public const string AedPads = "preventive.aed-pads-replacement";
    public const string AedBattery = "preventive.aed-battery-replacement";

    /// <summary>
    /// The half-month containing <paramref name="now"/> in <paramref name="zone"/>: days 1–15 (<c>H1</c>) or 16 to the
    /// month's end (<c>H2</c>); <c>End</c> is the next period's start.
    /// </summary>
    public static (string Key, DateTimeOffset Start, DateTimeOffset End) HalfMonth(DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var first = local.Day <= 15;
        var startDay = new DateTime(local.Year, local.Month, first ? 1 : 16, 0, 0, 0, DateTimeKind.Unspecified);
        var endDay = first ? startDay.AddDays(15) : new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified).AddMonths(1);
        var key = string.Create(CultureInfo.InvariantCulture, $"{local:yyyy-MM}-{(first ? "H1" : "H2")}");
        return (key, LocalMidnight(startDay, zone), LocalMidnight(endDay, zone));
    }

    /// <summary>The routine maintenance an elevator owes in the half-month containing <paramref name="now"/>; due by the period's end.</summary>
    public static PreventiveJob ElevatorJob(DateTimeOffset now, TimeZoneInfo zone, string team)
    {
        var (key, start, end) = HalfMonth(now, zone);
        var last = TimeZoneInfo.ConvertTime(end, zone).AddDays(-1);
        var from = TimeZoneInfo.ConvertTime(start, zone);
        return new PreventiveJob(ElevatorMaintenance, "elevator-maintenance:" + key,
            string.Create(CultureInfo.InvariantCulture, $"电梯半月维保 Half-monthly elevator maintenance {from:yyyy-MM-dd} – {last:yyyy-MM-dd}"), "info", team, end);
    }

    /// <summary>
    /// A replacement job when an AED part's expiry date (<paramref name="point"/> <c>pads_expiry</c> or <c>battery_expiry</c>)
    /// is no more than <paramref name="daysAhead"/> days away (or passed); due by the start of the expiry day. Null otherwise.
    /// </summary>
    public static PreventiveJob? AedJob(string point, DateOnly expires, DateTimeOffset now, TimeZoneInfo zone, int daysAhead, string team)
    {
        ArgumentNullException.ThrowIfNull(point);
        var (rule, part) = point switch
        {
            "pads_expiry" => (AedPads, ("pads", "更换AED电极片 Replace AED pads")),
            "battery_expiry" => (AedBattery, ("battery", "更换AED电池 Replace AED battery")),
            _ => (null, default),
        };
        if (rule is null)
        {
            return null;
        }

        var dueBy = LocalMidnight(expires.ToDateTime(TimeOnly.MinValue), zone);
        if (dueBy - now > TimeSpan.FromDays(daysAhead))
        {
            return null;
        }

        return new PreventiveJob(rule, string.Create(CultureInfo.InvariantCulture, $"aed-{part.Item1}:{expires:yyyyMMdd}"),
            string.Create(CultureInfo.InvariantCulture, $"{part.Item2} (expires {expires:yyyy-MM-dd})"), "warning", team, dueBy);
    }

    private static DateTimeOffset LocalMidnight(DateTime local, TimeZoneInfo zone) =>
        new(local, zone.GetUtcOffset(local));
}

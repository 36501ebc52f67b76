using System.Data.Common;
using System.Globalization;
using Facilities.Cloud.Domain.Counters;
using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Domain.Elevators;
using Facilities.Cloud.Storage;
using Facilities.Cloud.WorkOrders;

namespace Facilities.Cloud.ReadModels;

/// <summary>An elevator's status now. <c>Link</c> is online, offline or stale; the rest are the controller's latest readings (labels where it sent them).</summary>
internal sealed record ElevatorStatusView(
    string Link, string? Gateway, string? ServiceMode, int? Floor, string? Direction, string? Door, bool? Running, bool? Occupied,
    string? Fault, DateTimeOffset? UpdatedAt);

internal sealed record FaultView(long AlertId, string RuleId, string Title, string Severity, string State, DateTimeOffset FiredAt, DateTimeOffset? ResolvedAt);

/// <summary>Faults (alerts of the elevator's own rules, not those suppressed by inspection or a maintenance window) in the last 30 days.</summary>
internal sealed record FaultHistoryView(int Count, double? MeanHoursBetweenFaults, IReadOnlyList<FaultView> Items);

internal sealed record UsageDayView(string Day, long? Trips, long? DoorCycles);

/// <summary><c>LastSource</c>: <c>work-order</c> (the last resolved preventive order) or <c>configured</c> (ReadModels:LastMaintenance).</summary>
internal sealed record MaintenanceView(DateTimeOffset? Last, string? LastSource, DateTimeOffset? Next, double IntervalDays, bool Overdue);

internal sealed record ElevatorOrderView(long Id, string Type, string RuleId, string Title, string Priority, string Status, string? Assignee,
    DateTimeOffset? RespondBy, DateTimeOffset? ResolveBy, IReadOnlyList<string> Breached, DateTimeOffset CreatedAt);

/// <summary>The health of one elevator: <c>GET /api/elevators/{deviceId}/health</c>.</summary>
internal sealed record ElevatorHealthView(
    string Site, string Device, string Building, DateTimeOffset GeneratedAt, int Score, IReadOnlyList<HealthReason> Reasons,
    ElevatorStatusView Status, FaultHistoryView Faults, IReadOnlyList<UsageDayView> Usage, MaintenanceView Maintenance,
    IReadOnlyList<ElevatorOrderView> OpenWorkOrders);

/// <summary>One line of <c>GET /api/elevators</c> (the crew's list, sickest first), with the score's reasons.</summary>
internal sealed record ElevatorSummaryView(
    string Site, string Device, string Building, int Score, string Link, string? ServiceMode, string? Fault, bool? Running, int? Floor,
    int FaultsLast30Days, int OpenWorkOrders, DateTimeOffset? NextMaintenance, IReadOnlyList<HealthReason> Reasons);

/// <summary>
/// Builds elevator health from the database: latest values and link state (ingestion), alerts, work orders and the
/// per-day counters (<see cref="CounterDays"/>). Nothing is held in memory between requests, so instances agree.
/// </summary>
internal sealed class ElevatorHealthReader(CloudDatabase database, ReadModelOptions options, WorkOrderOptions workOrders, CounterDays counterDays, TimeProvider time)
{
    public const string Kind = "elevator";
    public const string MaintenanceRule = PreventiveSchedule.ElevatorMaintenance;
    public static readonly TimeSpan FaultWindow = TimeSpan.FromDays(30);

    /// <summary>The elevators called <paramref name="device"/> (on <paramref name="site"/> when given).</summary>
    public async Task<IReadOnlyList<string>> SitesOfAsync(string device, string? site, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReadModelStore.SitesOfDeviceAsync(connection, device, Kind, site, cancellationToken);
    }

    public async Task<bool> SiteExistsAsync(string site, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReadModelStore.SiteExistsAsync(connection, site, cancellationToken);
    }

    /// <summary>Health of the elevators of <paramref name="site"/> (all sites when null), or of one when <paramref name="device"/> is given; <paramref name="usageDays"/> days of trips and door cycles (0 for none).</summary>
    public async Task<IReadOnlyList<ElevatorHealthView>> ReadAsync(string? site, string? device, int usageDays, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var since = (now - FaultWindow).ToUnixTimeMilliseconds();
        var filter = new ElevatorFilter(site, device, Kind, since);
        await using var connection = await database.OpenAsync(cancellationToken);
        var elevators = await ReadModelStore.ElevatorsAsync(connection, filter, cancellationToken);
        if (elevators.Count == 0)
        {
            return [];
        }

        var values = (await ReadModelStore.ElevatorValuesAsync(connection, filter, cancellationToken)).ToLookup(v => (v.Site, v.Device));
        var faults = (await ReadModelStore.ElevatorFaultsAsync(connection, filter, cancellationToken)).ToLookup(f => (f.Site, f.Device));
        var orders = (await ReadModelStore.OpenElevatorOrdersAsync(connection, filter, cancellationToken)).ToLookup(o => (o.Site, o.Device));
        var maintained = (await ReadModelStore.LastMaintenanceAsync(connection, filter, cancellationToken)).ToDictionary(m => (m.Site, m.Device), m => m.At);

        List<ElevatorHealthView> views = [];
        foreach (var elevator in elevators)
        {
            var key = (elevator.Site, elevator.Device);
            var usage = usageDays > 0 ? await UsageAsync(connection, elevator.Site, elevator.Device, now, usageDays, cancellationToken) : [];
            views.Add(Build(elevator, ChargerEndpoints.Points(values[key]), [.. faults[key]], [.. orders[key]], maintained.TryGetValue(key, out var at) ? at : null, usage, now));
        }

        return views;
    }

    private ElevatorHealthView Build(
        DeviceLinkRow elevator, IReadOnlyDictionary<string, PointReading> points, List<FaultRow> faults, List<WorkOrderRow> orders, long? maintainedAt,
        IReadOnlyList<UsageDayView> usage, DateTimeOffset now)
    {
        var link = DeviceLink.Of("elevator", elevator.State, elevator.GatewayState, UnixTime.FromMs(elevator.LastSeen), now, options.StaleAfter).Status;
        var status = new ElevatorStatusView(
            link, elevator.GatewayState, Label(points, "service_mode"), Number(points, "floor"), Label(points, "direction"), Label(points, "door_state"),
            points.TryGetValue("moving", out var moving) ? moving.Value != 0 : points.TryGetValue("direction", out var direction) ? direction.Value != 0 : null,
            points.TryGetValue("occupied", out var occupied) ? occupied.Value != 0 : null,
            Number(points, "fault_code") is null or 0 ? null : Label(points, "fault_code"),
            points.Count == 0 ? UnixTime.FromMs(elevator.LastSeen) : points.Values.Max(p => p.Ts));

        // The same reckoning as the preventive scheduler: any level's visit counts, an on-demand interval falls back after a critical fault.
        var lastCritical = faults.Where(f => f.Severity == "critical").Select(f => (DateTimeOffset?)UnixTime.FromMs(f.FiredAt)).Max();
        var due = ElevatorMaintenance.Due(
            UnixTime.FromMs(maintainedAt), options.ConfiguredLastMaintenance(elevator.Site, elevator.Device), options.ElevatorMaintenanceInterval, now,
            workOrders.Preventive.OnDemandInterval(elevator.Site, elevator.Device), lastCritical);
        var maintenance = new MaintenanceView(due.Last, due.LastSource, due.Next, options.ElevatorMaintenanceInterval.TotalDays, due.Overdue);

        var orderViews = orders.Select(o => new ElevatorOrderView(
            o.Id, WorkOrderLifecycle.TypeOf(o.RuleId), o.RuleId, o.Title, o.Priority, o.Status, o.Assignee, UnixTime.FromMs(o.RespondBy), UnixTime.FromMs(o.ResolveBy),
            o.Breached,
            UnixTime.FromMs(o.CreatedAt))).ToList();
        var input = new ElevatorHealthInput(
            link, Number(points, "service_mode"), Number(points, "fault_code"), Label(points, "fault_code"),
            [.. faults.Select(f => new FaultRecord(f.RuleId, f.Severity, UnixTime.FromMs(f.FiredAt)))], due.Next,
            [.. orderViews.Select(o => new OpenOrderRecord(o.Id, o.Type, o.Breached.Count > 0))]);
        var health = ElevatorHealthScore.Evaluate(input, now);
        var mtbf = ElevatorHealthScore.MeanTimeBetweenFaults(faults.Count, FaultWindow);
        var history = new FaultHistoryView(faults.Count, mtbf is { } m ? Math.Round(m.TotalHours, 1) : null,
            [.. faults.Select(f => new FaultView(f.Id, f.RuleId, f.Title, f.Severity, f.State, UnixTime.FromMs(f.FiredAt), UnixTime.FromMs(f.ResolvedAt)))]);
        return new ElevatorHealthView(elevator.Site, elevator.Device, elevator.Building, now, health.Score, health.Reasons, status, history, usage, maintenance, orderViews);
    }

    /// <summary>Trips and door cycles per site-local day, the last <paramref name="days"/> days (today included), oldest first.</summary>
    private async Task<IReadOnlyList<UsageDayView>> UsageAsync(DbConnection connection, string site, string device, DateTimeOffset now, int days, CancellationToken cancellationToken)
    {
        var dayList = Enumerable.Range(0, days).Select(i => counterDays.Day(site, now - TimeSpan.FromDays(days - 1 - i))).ToList();
        var from = dayList[0];
        var rows = await ReadModelStore.CounterDaysFromAsync(connection, site, device, from, cancellationToken);
        Dictionary<string, Dictionary<string, long>> perPoint = new(StringComparer.Ordinal);
        foreach (var point in CounterDays.Counters[Kind])
        {
            var before = await ReadModelStore.CounterDayBeforeAsync(connection, site, device, point, from, cancellationToken);
            var counted = DailyCounts.PerDay(
                before,
                [.. rows.Where(r => r.Point == point).Select(r => new CounterDay(r.Day, r.FirstValue, r.LastValue))]);
            perPoint[point] = counted.ToDictionary(c => c.Day, c => c.Count, StringComparer.Ordinal);
        }

        return [.. dayList.Select(day => new UsageDayView(day,
            perPoint["trips"].TryGetValue(day, out var trips) ? trips : null,
            perPoint["door_cycles"].TryGetValue(day, out var doors) ? doors : null))];
    }

    private static int? Number(IReadOnlyDictionary<string, PointReading> points, string point) =>
        points.TryGetValue(point, out var reading) ? (int)Math.Round(reading.Value) : null;

    private static string? Label(IReadOnlyDictionary<string, PointReading> points, string point) =>
        points.TryGetValue(point, out var reading) ? reading.Label ?? reading.Value.ToString(CultureInfo.InvariantCulture) : null;
}

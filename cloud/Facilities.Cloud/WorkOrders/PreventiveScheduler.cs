using System.Data.Common;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Devices;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// Opens preventive work orders on <see cref="PreventiveOptions.Interval"/>: TSG T5002 maintenance for every elevator
/// heard in the last 30 days (the next half-monthly visit 15 days after the last one done, quarterly, half-yearly and
/// annual visits: <see cref="PreventiveSchedule.ElevatorJobs"/>), and a replacement order for every AED whose pads or battery expire within
/// <see cref="PreventiveOptions.AedExpiryDaysAhead"/> days (dates from <c>latest_values</c>). Each order carries its
/// schedule key; the unique index <c>work_orders_scheduled</c> (site, device, schedule_key) makes a second instance's
/// insert do nothing.
/// <para>
/// A pass walks the fleet a page of <see cref="PageSize"/> devices (or AED dates) at a time, in key order: each page's
/// history (orders done, critical faults, orders already opened) is read for that page's key range only, and its new
/// orders are opened before the next page is read, so what a pass holds and each statement returns stay bounded however
/// large the fleet and however many orders its first pass opens.
/// </para>
/// </summary>
internal sealed partial class PreventiveScheduler(
    CloudDatabase database, WorkOrderOptions options, WorkOrderTimeline timeline, SiteTime siteTime, TimeProvider time, ILogger<PreventiveScheduler> logger,
    int pageSize = PreventiveScheduler.PageSize)
    : BackgroundService
{
    private static readonly TimeSpan Heard = TimeSpan.FromDays(30);

    /// <summary>How far back an order's schedule key is looked for (the longest schedule is a year).</summary>
    private static readonly TimeSpan Scheduled = TimeSpan.FromDays(400);

    /// <summary>Devices (or AED dates) read per page of a pass, unless a test asks for fewer.</summary>
    internal const int PageSize = 500;

    private const string Elevator = "elevator";
    private const string AedCabinet = "aed-cabinet";
    private static readonly string[] AedDates = ["battery_expiry", "pads_expiry"];

    /// <summary>Opens every preventive order due now that does not exist yet; returns how many this call opened.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var opened = 0;
        if (options.Preventive.ElevatorMaintenance)
        {
            var (site, device) = (string.Empty, string.Empty);
            while (true)
            {
                var (jobs, last, full) = await ElevatorPageAsync(site, device, now, cancellationToken);
                opened += await OpenAsync(jobs, now, cancellationToken);
                if (!full)
                {
                    break;
                }

                (site, device) = last;
            }
        }

        var after = (Site: string.Empty, Device: string.Empty, Point: string.Empty);
        while (true)
        {
            var (jobs, last, full) = await AedPageAsync(after, now, cancellationToken);
            opened += await OpenAsync(jobs, now, cancellationToken);
            if (!full)
            {
                return opened;
            }

            after = last;
        }
    }

    /// <summary>
    /// The TSG T5002 jobs not opened yet of a page of elevators heard in the last 30 days, after (<paramref name="afterSite"/>,
    /// <paramref name="afterDevice"/>), from their completed preventive orders (<see cref="PreventiveSchedule.ElevatorJobs"/>).
    /// </summary>
    private async Task<(List<Job> Jobs, (string Site, string Device) Last, bool Full)> ElevatorPageAsync(
        string afterSite, string afterDevice, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var preventive = options.Preventive;
        await using var connection = await database.OpenAsync(cancellationToken);
        var elevators = await DeviceStore.HeardAsync(connection, Elevator, now - Heard, afterSite, afterDevice, pageSize, cancellationToken);
        if (elevators.Count == 0)
        {
            return ([], (afterSite, afterDevice), false);
        }

        var (first, last) = ((elevators[0].Site, elevators[0].Device), (elevators[^1].Site, elevators[^1].Device));
        var (done, since) = await WorkOrderStore.PreventiveHistoryAsync(connection, Elevator, first.Item1, first.Item2, last.Item1, last.Item2, cancellationToken);
        var faults = preventive.OnDemand.Count == 0 ? []
            : await AlertStore.LastCriticalFiringsAsync(connection, Elevator, first.Item1, first.Item2, last.Item1, last.Item2, cancellationToken);
        var jobs = elevators.SelectMany(e =>
        {
            var key = (e.Site, e.Device);
            return PreventiveSchedule.ElevatorJobs(
                    PreventiveSchedule.DoneByLevel(done[key]), since.TryGetValue(key, out var firstOrder) ? firstOrder : null, now, siteTime.ZoneOf(e.Site),
                    preventive.ElevatorTeam, preventive.OnDemandInterval(e.Site, e.Device), faults.TryGetValue(key, out var fault) ? fault : null)
                .Select(job => new Job(e.Site, e.Device, e.Building, Elevator, job));
        }).ToList();
        return (await NotOpenedAsync(connection, jobs, first, last, now, cancellationToken), last, elevators.Count == pageSize);
    }

    /// <summary>The replacement jobs not opened yet of a page of AED expiry dates after <paramref name="after"/>.</summary>
    private async Task<(List<Job> Jobs, (string Site, string Device, string Point) Last, bool Full)> AedPageAsync(
        (string Site, string Device, string Point) after, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var preventive = options.Preventive;
        await using var connection = await database.OpenAsync(cancellationToken);
        var expiries = await DeviceStore.PointValuesAsync(connection, AedCabinet, AedDates, after.Site, after.Device, after.Point, pageSize, cancellationToken);
        if (expiries.Count == 0)
        {
            return ([], after, false);
        }

        List<Job> jobs = [];
        foreach (var expiry in expiries)
        {
            if (RuleEvaluator.ParseDate(expiry.Value, "yyyymmdd") is not { } date)
            {
                LogBadDate(logger, expiry.Site, expiry.Device, expiry.Point, expiry.Value);
                continue;
            }

            if (PreventiveSchedule.AedJob(expiry.Point, DateOnly.FromDateTime(date.UtcDateTime), now, siteTime.ZoneOf(expiry.Site), preventive.AedExpiryDaysAhead, preventive.AedTeam) is { } job)
            {
                jobs.Add(new Job(expiry.Site, expiry.Device, expiry.Building, AedCabinet, job));
            }
        }

        var (first, last) = (expiries[0], expiries[^1]);
        return (await NotOpenedAsync(connection, jobs, (first.Site, first.Device), (last.Site, last.Device), now, cancellationToken),
            (last.Site, last.Device, last.Point), expiries.Count == pageSize);
    }

    /// <summary>The jobs of a page whose order does not exist yet (the insert would do nothing for the others; this spares it).</summary>
    private static async Task<List<Job>> NotOpenedAsync(
        DbConnection connection, List<Job> jobs, (string Site, string Device) first, (string Site, string Device) last, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (jobs.Count == 0)
        {
            return jobs;
        }

        var existing = await WorkOrderStore.ScheduledAsync(connection, now - Scheduled, first.Site, first.Device, last.Site, last.Device, cancellationToken);
        jobs.RemoveAll(j => existing.Contains((j.Site, j.Device, j.Schedule.ScheduleKey)));
        return jobs;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Preventive.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Preventive.Interval, time);
        do
        {
            try
            {
                await RunAsync(stoppingToken);
            }
            catch (Exception error) when (error is DbException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                LogRunFailed(logger, error);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<int> OpenAsync(List<Job> jobs, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var opened = 0;
        foreach (var job in jobs)
        {
            opened += await OpenAsync(job, now, cancellationToken);
        }

        return opened;
    }

    private async Task<int> OpenAsync(Job scheduled, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (site, device, building, kind, job) = scheduled;
        var ms = now.ToUnixTimeMilliseconds();
        var assignee = WorkOrderRouting.AssigneeFor(options.Teams, job.Team, site, building);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var order = new ScheduledOrder(
            site, building, device, kind, job.RuleId, job.Title, job.Severity, WorkOrderLifecycle.Priority(job.Severity),
            assignee is null ? WorkOrderLifecycle.Open : WorkOrderLifecycle.Assigned, job.Team, assignee, job.DueBy.ToUnixTimeMilliseconds(), job.ScheduleKey, ms);
        if (await WorkOrderStore.OpenScheduledAsync(connection, transaction, order, cancellationToken) is not { } orderId)
        {
            return 0; // another instance opened it
        }

        await timeline.AppendAsync(connection, transaction, orderId, ms, "opened", "system", $"schedule {job.ScheduleKey}: due by {job.DueBy:yyyy-MM-dd HH:mm} UTC", cancellationToken);
        if (assignee is not null)
        {
            await timeline.AppendAsync(connection, transaction, orderId, ms, "assigned", "system", $"team {job.Team}: {assignee}", cancellationToken);
        }

        await write.CommitAsync(cancellationToken);
        LogOpened(logger, orderId, job.ScheduleKey, site, device);
        return 1;
    }

    /// <summary>A job a device owes, with where the order goes.</summary>
    private sealed record Job(string Site, string Device, string Building, string Kind, PreventiveJob Schedule);

    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "Preventive work order {Id} opened ({Schedule}) for {Site}/{Device}")]
    private static partial void LogOpened(ILogger logger, long id, string schedule, string site, string device);

    [LoggerMessage(EventId = 6302, Level = LogLevel.Warning, Message = "{Site}/{Device}: {Point} = {Value} is not a yyyymmdd date; no replacement order can be planned from it")]
    private static partial void LogBadDate(ILogger logger, string site, string device, string point, double value);

    [LoggerMessage(EventId = 6303, Level = LogLevel.Warning, Message = "Preventive schedule run failed; trying again at the next tick")]
    private static partial void LogRunFailed(ILogger logger, Exception error);
}

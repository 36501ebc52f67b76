using System.Data.Common;
using Dapper;
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
/// </summary>
internal sealed partial class PreventiveScheduler(
    CloudDatabase database, WorkOrderOptions options, WorkOrderTimeline timeline, SiteTime siteTime, TimeProvider time, ILogger<PreventiveScheduler> logger)
    : BackgroundService
{
    private static readonly TimeSpan Heard = TimeSpan.FromDays(30);

    /// <summary>Opens every preventive order due now that does not exist yet; returns how many this call opened.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var preventive = options.Preventive;
        List<(string Site, string Device, string Building, string Kind, PreventiveJob Job)> jobs = [];
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            if (preventive.ElevatorMaintenance)
            {
                jobs.AddRange(await ElevatorJobsAsync(connection, now, cancellationToken));
            }

            var expiries = await connection.QueryAsync<(string Site, string Device, string Building, string Point, double Value)>(new CommandDefinition(
                """
                SELECT v.site, v.device, d.building, v.point, v.value FROM latest_values v JOIN devices d ON d.site = v.site AND d.device = v.device
                WHERE d.kind = 'aed-cabinet' AND v.point IN ('pads_expiry', 'battery_expiry')
                """, cancellationToken: cancellationToken));
            foreach (var expiry in expiries)
            {
                if (RuleEvaluator.ParseDate(expiry.Value, "yyyymmdd") is not { } date)
                {
                    LogBadDate(logger, expiry.Site, expiry.Device, expiry.Point, expiry.Value);
                    continue;
                }

                if (PreventiveSchedule.AedJob(expiry.Point, DateOnly.FromDateTime(date.UtcDateTime), now, siteTime.ZoneOf(expiry.Site), preventive.AedExpiryDaysAhead, preventive.AedTeam) is { } job)
                {
                    jobs.Add((expiry.Site, expiry.Device, expiry.Building, "aed-cabinet", job));
                }
            }

            if (jobs.Count == 0)
            {
                return 0;
            }

            var existing = (await connection.QueryAsync<(string Site, string Device, string Key)>(new CommandDefinition(
                "SELECT site, device, schedule_key FROM work_orders WHERE schedule_key IS NOT NULL AND created_at >= @since",
                new { since = (now - TimeSpan.FromDays(400)).ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken))).ToHashSet();
            jobs.RemoveAll(j => existing.Contains((j.Site, j.Device, j.Job.ScheduleKey)));
        }

        var opened = 0;
        foreach (var (site, device, building, kind, job) in jobs)
        {
            opened += await OpenAsync(site, device, building, kind, job, now, cancellationToken);
        }

        return opened;
    }

    /// <summary>The TSG T5002 jobs of every elevator heard in the last 30 days, from its completed preventive orders (<see cref="PreventiveSchedule.ElevatorJobs"/>).</summary>
    private async Task<IEnumerable<(string Site, string Device, string Building, string Kind, PreventiveJob Job)>> ElevatorJobsAsync(
        DbConnection connection, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var preventive = options.Preventive;
        var elevators = await connection.QueryAsync<(string Site, string Device, string Building)>(new CommandDefinition(
            "SELECT site, device, building FROM devices WHERE kind = 'elevator' AND last_seen >= @since",
            new { since = (now - Heard).ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        var done = (await connection.QueryAsync<(string Site, string Device, string RuleId, long At)>(new CommandDefinition(
            """
            SELECT site, device, rule_id, MAX(resolved_at) FROM work_orders
            WHERE kind = 'elevator' AND schedule_key IS NOT NULL AND resolved_at IS NOT NULL GROUP BY site, device, rule_id
            """, cancellationToken: cancellationToken))).ToLookup(d => (d.Site, d.Device));
        var since = (await connection.QueryAsync<(string Site, string Device, long At)>(new CommandDefinition(
            "SELECT site, device, MIN(created_at) FROM work_orders WHERE kind = 'elevator' AND schedule_key IS NOT NULL GROUP BY site, device",
            cancellationToken: cancellationToken))).ToDictionary(s => (s.Site, s.Device), s => DateTimeOffset.FromUnixTimeMilliseconds(s.At));
        var faults = preventive.OnDemand.Count == 0 ? [] : (await connection.QueryAsync<(string Site, string Device, long At)>(new CommandDefinition(
            """
            SELECT site, device, MAX(fired_at) FROM alerts
            WHERE kind = 'elevator' AND severity = 'critical' AND fired_at IS NOT NULL AND suppressed IS NULL GROUP BY site, device
            """, cancellationToken: cancellationToken))).ToDictionary(f => (f.Site, f.Device), f => DateTimeOffset.FromUnixTimeMilliseconds(f.At));
        return elevators.SelectMany(e =>
        {
            var key = (e.Site, e.Device);
            var levels = done[key]
                .Select(d => (Level: PreventiveSchedule.ElevatorLevelOf(d.RuleId), d.At))
                .Where(d => d.Level is not null)
                .GroupBy(d => d.Level!.Value)
                .ToDictionary(g => g.Key, g => DateTimeOffset.FromUnixTimeMilliseconds(g.Max(d => d.At)));
            return PreventiveSchedule.ElevatorJobs(
                    levels, since.TryGetValue(key, out var first) ? first : null, now, siteTime.ZoneOf(e.Site), preventive.ElevatorTeam,
                    preventive.OnDemandInterval(e.Site, e.Device), faults.TryGetValue(key, out var fault) ? fault : null)
                .Select(job => (e.Site, e.Device, e.Building, "elevator", job));
        });
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

    private async Task<int> OpenAsync(string site, string device, string building, string kind, PreventiveJob job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ms = now.ToUnixTimeMilliseconds();
        var assignee = WorkOrderRouting.AssigneeFor(options.Teams, job.Team, site, building);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            """
            INSERT INTO work_orders (site, building, device, kind, rule_id, alert_id, title, severity, priority, status, team, assignee,
                respond_by, resolve_by, schedule_key, created_at, updated_at)
            VALUES (@site, @building, @device, @kind, @RuleId, NULL, @Title, @Severity, @priority, @status, @Team, @assignee,
                NULL, @dueBy, @ScheduleKey, @ms, @ms)
            ON CONFLICT (site, device, schedule_key) DO NOTHING
            RETURNING id
            """,
            new
            {
                site, building, device, kind, job.RuleId, job.Title, job.Severity, priority = WorkOrderLifecycle.Priority(job.Severity),
                status = assignee is null ? WorkOrderLifecycle.Open : WorkOrderLifecycle.Assigned, job.Team, assignee,
                dueBy = job.DueBy.ToUnixTimeMilliseconds(), job.ScheduleKey, ms,
            },
            transaction, cancellationToken: cancellationToken));
        if (id is not { } orderId)
        {
            return 0; // another instance opened it
        }

        await timeline.AppendAsync(connection, transaction, orderId, ms, "opened", "system", $"schedule {job.ScheduleKey}: due by {job.DueBy:yyyy-MM-dd HH:mm} UTC", cancellationToken);
        if (assignee is not null)
        {
            await timeline.AppendAsync(connection, transaction, orderId, ms, "assigned", "system", $"team {job.Team}: {assignee}", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LogOpened(logger, orderId, job.ScheduleKey, site, device);
        return 1;
    }

    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "Preventive work order {Id} opened ({Schedule}) for {Site}/{Device}")]
    private static partial void LogOpened(ILogger logger, long id, string schedule, string site, string device);

    [LoggerMessage(EventId = 6302, Level = LogLevel.Warning, Message = "{Site}/{Device}: {Point} = {Value} is not a yyyymmdd date; no replacement order can be planned from it")]
    private static partial void LogBadDate(ILogger logger, string site, string device, string point, double value);

    [LoggerMessage(EventId = 6303, Level = LogLevel.Warning, Message = "Preventive schedule run failed; trying again at the next tick")]
    private static partial void LogRunFailed(ILogger logger, Exception error);
}

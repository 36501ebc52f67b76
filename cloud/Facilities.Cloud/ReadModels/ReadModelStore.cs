using System.Data;
using System.Data.Common;
using Dapper;
using Facilities.Cloud.Domain.Counters;
using Facilities.Cloud.Storage;
using Facilities.Cloud.WorkOrders;

namespace Facilities.Cloud.ReadModels;

/// <summary>The SQL of the residents' and crews' read models: reads over devices, gateways and latest values, and the counter days ingestion folds.</summary>
internal static class ReadModelStore
{
    /// <summary>Counter days folded by a batch: each (site, device, point, day) keeps its earliest and latest reading.</summary>
    public static readonly RowsStatement CounterDayRows = new(
        "INSERT INTO counter_days (site, device, point, day, first_value, first_ts, last_value, last_ts)",
        """
        ON CONFLICT (site, device, point, day) DO UPDATE SET
            first_value = CASE WHEN excluded.first_ts < counter_days.first_ts THEN excluded.first_value ELSE counter_days.first_value END,
            first_ts = CASE WHEN excluded.first_ts < counter_days.first_ts THEN excluded.first_ts ELSE counter_days.first_ts END,
            last_value = CASE WHEN excluded.last_ts >= counter_days.last_ts THEN excluded.last_value ELSE counter_days.last_value END,
            last_ts = CASE WHEN excluded.last_ts >= counter_days.last_ts THEN excluded.last_ts ELSE counter_days.last_ts END
        """,
        DbType.String, DbType.String, DbType.String, DbType.String, DbType.Double, DbType.Int64, DbType.Double, DbType.Int64);

    /// <summary>Whether the site has a counter day whose first reading is older than <paramref name="beforeMs"/> (history already there).</summary>
    public static async Task<bool> HasCounterDaysBeforeAsync(DbConnection connection, DbTransaction transaction, string site, long beforeMs, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM counter_days WHERE site = @site AND first_ts < @beforeMs", new { site, beforeMs }, transaction, cancellationToken: cancellationToken)) > 0;

    /// <summary>Devices per site and kind, and every site a gateway reported from.</summary>
    public static async Task<(IReadOnlyList<(string Site, string Kind, long Count)> Counts, IReadOnlyList<string> GatewaySites)> SitesAsync(
        DbConnection connection, CancellationToken cancellationToken)
    {
        var counts = await connection.QueryAsync<(string Site, string Kind, long Count)>(new CommandDefinition(
            "SELECT site, kind, COUNT(*) FROM devices GROUP BY site, kind", cancellationToken: cancellationToken));
        var gatewaySites = await connection.QueryAsync<string>(new CommandDefinition("SELECT DISTINCT site FROM gateways", cancellationToken: cancellationToken));
        return ([.. counts], [.. gatewaySites]);
    }

    /// <summary>Whether any device or gateway of the site was ever heard.</summary>
    public static async Task<bool> SiteExistsAsync(DbConnection connection, string site, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM devices WHERE site = @site) + (SELECT COUNT(*) FROM gateways WHERE site = @site)",
            new { site }, cancellationToken: cancellationToken)) > 0;

    /// <summary>The site's devices of one kind with their gateway's link state, by building.</summary>
    public static async Task<IReadOnlyList<DeviceLinkRow>> ShedsAsync(DbConnection connection, string site, string kind, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<DeviceLinkRow>(new CommandDefinition(
            """
            SELECT d.site, d.device, d.building, d.gateway, d.state, d.last_seen, g.state AS gateway_state
            FROM devices d LEFT JOIN gateways g ON g.site = d.site AND g.gateway = d.gateway
            WHERE d.site = @site AND d.kind = @kind ORDER BY d.building, d.device
            """, new { site, kind }, cancellationToken: cancellationToken))];

    /// <summary>The latest values of the site's devices of one kind.</summary>
    public static async Task<IReadOnlyList<LatestValueRow>> ShedValuesAsync(DbConnection connection, string site, string kind, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<LatestValueRow>(new CommandDefinition(
            """
            SELECT v.site, v.device, v.point, v.value, v.label, v.ts FROM latest_values v
            JOIN devices d ON d.site = v.site AND d.device = v.device
            WHERE v.site = @site AND d.kind = @kind
            """, new { site, kind }, cancellationToken: cancellationToken))];

    /// <summary>The sites on which a device of <paramref name="kind"/> is called <paramref name="device"/> (only <paramref name="site"/> when given).</summary>
    public static async Task<IReadOnlyList<string>> SitesOfDeviceAsync(DbConnection connection, string device, string kind, string? site, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT site FROM devices WHERE device = @device AND kind = @kind AND (@site IS NULL OR site = @site) ORDER BY site",
            new { device, kind, site }, cancellationToken: cancellationToken))];

    /// <summary>The elevators of the filter with their gateway's link state, by site, building and device.</summary>
    public static async Task<IReadOnlyList<DeviceLinkRow>> ElevatorsAsync(DbConnection connection, ElevatorFilter filter, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<DeviceLinkRow>(new CommandDefinition(
            """
            SELECT d.site, d.device, d.building, d.gateway, d.state, d.last_seen, g.state AS gateway_state
            FROM devices d LEFT JOIN gateways g ON g.site = d.site AND g.gateway = d.gateway
            WHERE d.kind = @Kind AND (@Site IS NULL OR d.site = @Site) AND (@Device IS NULL OR d.device = @Device)
            ORDER BY d.site, d.building, d.device
            """, filter, cancellationToken: cancellationToken))];

    /// <summary>The latest values of the filter's elevators that their status and score read.</summary>
    public static async Task<IReadOnlyList<LatestValueRow>> ElevatorValuesAsync(DbConnection connection, ElevatorFilter filter, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<LatestValueRow>(new CommandDefinition(
            """
            SELECT v.site, v.device, v.point, v.value, v.label, v.ts FROM latest_values v JOIN devices d ON d.site = v.site AND d.device = v.device
            WHERE d.kind = @Kind AND (@Site IS NULL OR d.site = @Site) AND (@Device IS NULL OR d.device = @Device)
              AND v.point IN ('service_mode', 'floor', 'direction', 'door_state', 'moving', 'occupied', 'fault_code')
            """, filter, cancellationToken: cancellationToken))];

    /// <summary>Alerts of the elevators' own rules fired since the filter's <c>Since</c>, not suppressed, newest first.</summary>
    public static async Task<IReadOnlyList<FaultRow>> ElevatorFaultsAsync(DbConnection connection, ElevatorFilter filter, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<FaultRow>(new CommandDefinition(
            """
            SELECT id, site, device, rule_id, title, severity, state, fired_at, resolved_at FROM alerts
            WHERE kind = @Kind AND rule_id LIKE 'elevator.%' AND fired_at >= @Since AND suppressed IS NULL
              AND (@Site IS NULL OR site = @Site) AND (@Device IS NULL OR device = @Device)
            ORDER BY fired_at DESC
            """, filter, cancellationToken: cancellationToken))];

    /// <summary>The filter's elevators' work orders not yet resolved or closed, newest first.</summary>
    public static async Task<IReadOnlyList<WorkOrderRow>> OpenElevatorOrdersAsync(DbConnection connection, ElevatorFilter filter, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<WorkOrderRow>(new CommandDefinition(
            """
            SELECT * FROM work_orders WHERE kind = @Kind AND status NOT IN ('resolved', 'closed')
              AND (@Site IS NULL OR site = @Site) AND (@Device IS NULL OR device = @Device)
            ORDER BY created_at DESC
            """, filter, cancellationToken: cancellationToken))];

    /// <summary>When each of the filter's elevators last had a preventive (TSG T5002) order resolved, Unix ms.</summary>
    public static async Task<IReadOnlyList<(string Site, string Device, long At)>> LastMaintenanceAsync(DbConnection connection, ElevatorFilter filter, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<(string Site, string Device, long At)>(new CommandDefinition(
            """
            SELECT site, device, MAX(resolved_at) FROM work_orders
            WHERE rule_id LIKE 'preventive.elevator-%' AND schedule_key IS NOT NULL AND resolved_at IS NOT NULL
              AND (@Site IS NULL OR site = @Site) AND (@Device IS NULL OR device = @Device)
            GROUP BY site, device
            """, filter, cancellationToken: cancellationToken))];

    /// <summary>A device's counter days from the site-local day <paramref name="from"/> (<c>yyyy-MM-dd</c>) on, oldest first.</summary>
    public static async Task<IReadOnlyList<(string Point, string Day, double FirstValue, double LastValue)>> CounterDaysFromAsync(
        DbConnection connection, string site, string device, string from, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<(string Point, string Day, double FirstValue, double LastValue)>(new CommandDefinition(
            "SELECT point, day, first_value, last_value FROM counter_days WHERE site = @site AND device = @device AND day >= @from ORDER BY day",
            new { site, device, from }, cancellationToken: cancellationToken))];

    /// <summary>A counter's last day before <paramref name="from"/> (what the first day of a chart counts from); null when there is none.</summary>
    public static async Task<CounterDay?> CounterDayBeforeAsync(DbConnection connection, string site, string device, string point, string from, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<(string Day, double FirstValue, double LastValue)>(new CommandDefinition(
            "SELECT day, first_value, last_value FROM counter_days WHERE site = @site AND device = @device AND point = @point AND day < @from ORDER BY day DESC LIMIT 1",
            new { site, device, point, from }, cancellationToken: cancellationToken))).Select(b => new CounterDay(b.Day, b.FirstValue, b.LastValue)).FirstOrDefault();
}

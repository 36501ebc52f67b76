using System.Data;
using System.Data.Common;
using Dapper;
using Facilities.Cloud.Storage;

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
}

using Dapper;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Pages;

/// <summary>
/// What the live pages poll: a fingerprint of the rows a page shows (newest change times and ids), so a stream sends
/// an update only when one of them moved. Reads alerts, work orders, devices, gateways and latest values; writes nothing.
/// </summary>
internal static class LiveStore
{
    public static async Task<string> ConsoleFingerprintAsync(CloudDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<(long, long, long, long, long, long)>(new CommandDefinition("""
            SELECT (SELECT COALESCE(MAX(updated_at), 0) FROM alerts), (SELECT COALESCE(MAX(id), 0) FROM alerts),
                   (SELECT COALESCE(MAX(updated_at), 0) FROM work_orders), (SELECT COALESCE(MAX(id), 0) FROM work_orders),
                   (SELECT COALESCE(MAX(state_since), 0) FROM devices), (SELECT COALESCE(MAX(state_since), 0) FROM gateways)
            """, cancellationToken: cancellationToken));
        return row.ToString();
    }

    public static async Task<string> ChargerFingerprintAsync(CloudDatabase database, string? site, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<(long, long, long)>(new CommandDefinition("""
            SELECT (SELECT COALESCE(MAX(v.ts), 0) FROM latest_values v JOIN devices d ON d.site = v.site AND d.device = v.device
                     WHERE d.kind = 'charger-shed' AND (@site IS NULL OR d.site = @site)),
                   (SELECT COALESCE(MAX(state_since), 0) FROM devices WHERE kind = 'charger-shed' AND (@site IS NULL OR site = @site)),
                   (SELECT COALESCE(MAX(state_since), 0) FROM gateways WHERE @site IS NULL OR site = @site)
            """, new { site }, cancellationToken: cancellationToken));
        return row.ToString();
    }
}

using Dapper;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Operations;

/// <summary>The SQL behind the operator's gauges: counts every instance reads alike from the shared database.</summary>
internal static class OperationsStore
{
    /// <summary>Alerts not resolved by state and severity, and devices by link state.</summary>
    public static async Task<(IReadOnlyList<(string State, string Severity, long Count)> OpenAlerts, IReadOnlyList<(string State, long Count)> Devices)> CountsAsync(
        CloudDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var alerts = await connection.QueryAsync<(string State, string Severity, long Count)>(new CommandDefinition(
            $"SELECT state, severity, COUNT(*) FROM alerts WHERE state <> '{AlertStates.Resolved}' GROUP BY state, severity", cancellationToken: cancellationToken));
        var devices = await connection.QueryAsync<(string State, long Count)>(new CommandDefinition(
            "SELECT state, COUNT(*) FROM devices GROUP BY state", cancellationToken: cancellationToken));
        return ([.. alerts], [.. devices]);
    }
}

using Dapper;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Access;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Devices;

/// <summary>A gateway as the site overview shows it.</summary>
public sealed record GatewayHealthView(
    string Gateway, string State, DateTimeOffset StateSince, DateTimeOffset LastSeen, string? Version, int Devices, int DevicesOnline, long OutboxDepth, long OutboxDropped);

/// <summary>A device that is not online, with why and since when.</summary>
public sealed record DeviceProblemView(string Device, string Kind, string Building, string Gateway, string State, string? Reason, DateTimeOffset Since, DateTimeOffset LastSeen);

/// <summary>One site: its gateways, device counts by kind and link state, the devices not online and the open alerts by severity.</summary>
public sealed record SiteOverviewView(
    string Site, IReadOnlyList<GatewayHealthView> Gateways, int Devices, int DevicesOnline, IReadOnlyDictionary<string, int> DevicesByKind,
    IReadOnlyList<DeviceProblemView> Problems, IReadOnlyDictionary<string, int> OpenAlerts);

/// <summary><c>GET /api/overview?site=</c> (engineers): device and gateway health per site, from what ingestion keeps.</summary>
public static class OverviewEndpoints
{
    public static void MapOverviewEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/overview", async (string? site, CloudDatabase database, CancellationToken ct) =>
        {
            await using var connection = await database.OpenAsync(ct);
            var gateways = (await connection.QueryAsync<(string Site, string Gateway, string State, long StateSince, long LastSeen, string? Version, int Devices, int DevicesOnline, long OutboxDepth, long OutboxDropped)>(new CommandDefinition(
                "SELECT site, gateway, state, state_since, last_seen, version, devices, devices_online, outbox_depth, outbox_dropped FROM gateways WHERE @site IS NULL OR site = @site ORDER BY site, gateway",
                new { site }, cancellationToken: ct))).ToLookup(g => g.Site);
            var devices = (await connection.QueryAsync<(string Site, string Device, string Kind, string Building, string Gateway, string State, string? StateReason, long StateSince, long LastSeen)>(new CommandDefinition(
                "SELECT site, device, kind, building, gateway, state, state_reason, state_since, last_seen FROM devices WHERE @site IS NULL OR site = @site ORDER BY site, building, device",
                new { site }, cancellationToken: ct))).ToLookup(d => d.Site);
            var alerts = (await connection.QueryAsync<(string Site, string Severity, long Count)>(new CommandDefinition(
                $"SELECT site, severity, COUNT(*) FROM alerts WHERE state IN ('{AlertStates.Firing}', '{AlertStates.Acknowledged}') AND suppressed IS NULL AND (@site IS NULL OR site = @site) GROUP BY site, severity",
                new { site }, cancellationToken: ct))).ToLookup(a => a.Site);
            var sites = gateways.Select(g => g.Key).Union(devices.Select(d => d.Key)).Order(StringComparer.Ordinal);
            return Results.Json(sites.Select(s => new SiteOverviewView(
                s,
                [.. gateways[s].Select(g => new GatewayHealthView(g.Gateway, g.State, UnixTime.FromMs(g.StateSince), UnixTime.FromMs(g.LastSeen), g.Version, g.Devices, g.DevicesOnline, g.OutboxDepth, g.OutboxDropped))],
                devices[s].Count(),
                devices[s].Count(d => d.State == "online"),
                devices[s].GroupBy(d => d.Kind).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
                [.. devices[s].Where(d => d.State != "online").Select(d => new DeviceProblemView(d.Device, d.Kind, d.Building, d.Gateway, d.State, d.StateReason, UnixTime.FromMs(d.StateSince), UnixTime.FromMs(d.LastSeen)))],
                alerts[s].ToDictionary(a => a.Severity, a => (int)a.Count, StringComparer.Ordinal))).ToList());
        }).RequireAuthorization(Policies.Engineer);
}

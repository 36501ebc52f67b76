using Facilities.Cloud.Access;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Devices;

/// <summary>A gateway as the site overview shows it.</summary>
internal sealed record GatewayHealthView(
    string Gateway, string State, DateTimeOffset StateSince, DateTimeOffset LastSeen, string? Version, int Devices, int DevicesOnline, long OutboxDepth, long OutboxDropped);

/// <summary>A device that is not online, with why and since when.</summary>
internal sealed record DeviceProblemView(string Device, string Kind, string Building, string Gateway, string State, string? Reason, DateTimeOffset Since, DateTimeOffset LastSeen);

/// <summary>One site: its gateways, device counts by kind and link state, the devices not online and the open alerts by severity.</summary>
internal sealed record SiteOverviewView(
    string Site, IReadOnlyList<GatewayHealthView> Gateways, int Devices, int DevicesOnline, IReadOnlyDictionary<string, int> DevicesByKind,
    IReadOnlyList<DeviceProblemView> Problems, IReadOnlyDictionary<string, int> OpenAlerts);

/// <summary><c>GET /api/overview?site=</c> (engineers): device and gateway health per site, from what ingestion keeps.</summary>
internal static class OverviewEndpoints
{
    public static void MapOverviewEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/overview", async (string? site, CloudDatabase database, CancellationToken ct) =>
        {
            var (gateways, devices, alerts) = await DeviceStore.OverviewAsync(database, site, ct);
            var sites = gateways.Select(g => g.Key).Union(devices.Select(d => d.Key)).Order(StringComparer.Ordinal);
            return Results.Json(sites.Select(s => new SiteOverviewView(
                s,
                [.. gateways[s].Select(g => new GatewayHealthView(g.Gateway, g.State, UnixTime.FromMs(g.StateSince), UnixTime.FromMs(g.LastSeen), g.Version, (int)g.Devices, (int)g.DevicesOnline, g.OutboxDepth, g.OutboxDropped))],
                devices[s].Count(),
                devices[s].Count(d => d.State == "online"),
                devices[s].GroupBy(d => d.Kind).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
                [.. devices[s].Where(d => d.State != "online").Select(d => new DeviceProblemView(d.Device, d.Kind, d.Building, d.Gateway, d.State, d.StateReason, UnixTime.FromMs(d.StateSince), UnixTime.FromMs(d.LastSeen)))],
                alerts[s].ToDictionary(a => a.Severity, a => (int)a.Count, StringComparer.Ordinal))).ToList());
        }).RequireAuthorization(Policies.Engineer);
}

using Facilities.Cloud.Access;
using Facilities.Cloud.TelemetryStore;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.ReadModels;

/// <summary>One charted quantity: trips or door cycles per hour (<c>spread</c> of the counter), the highest floor reached.</summary>
internal sealed record HistorySeriesView(string Point, string Aggregate, IReadOnlyList<HistoryPoint> Points);

/// <summary>An elevator's recent history from InfluxDB; <c>Configured</c> false (and no series) when the cloud keeps none.</summary>
internal sealed record ElevatorHistoryView(string Site, string Device, bool Configured, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<HistorySeriesView> Series);

/// <summary>
/// <c>GET /api/elevators/{deviceId}/history?site=&amp;hours=</c> (crews): trips and door cycles per hour and the highest
/// floor per hour over the last <c>hours</c> (1–168, default 24), read from InfluxDB when <c>Influx:Url</c> is set.
/// </summary>
internal static class ElevatorHistoryEndpoints
{
    private static readonly (string Point, string Aggregate)[] Charted = [("trips", "spread"), ("door_cycles", "spread"), ("floor", "max")];

    public static void MapElevatorHistoryEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/elevators/{deviceId}/history", async (string deviceId, string? site, int? hours, ElevatorHealthReader reader, InfluxHistory history, TimeProvider time, CancellationToken ct) =>
        {
            if (hours is < 1 or > 168)
            {
                return ApiProblem.Of(400, "invalid query", $"'hours' must be between 1 and 168; got {hours}");
            }

            var sites = await reader.SitesOfAsync(deviceId, site, ct);
            if (sites.Count != 1)
            {
                return sites.Count == 0
                    ? ApiProblem.Of(404, "elevator not found", $"there is no elevator '{deviceId}'{(site is null ? string.Empty : $" on site '{site}'")}")
                    : ApiProblem.Of(400, "ambiguous device id", $"elevator '{deviceId}' exists on several sites ({string.Join(", ", sites)}); add ?site= to say which");
            }

            var to = time.GetUtcNow();
            var hour = TimeSpan.FromHours(1);
            to = new DateTimeOffset(to.Ticks - (to.Ticks % hour.Ticks) + hour.Ticks, TimeSpan.Zero); // through the end of this hour
            var from = to - TimeSpan.FromHours(hours ?? 24);
            if (!history.Configured)
            {
                return Results.Json(new ElevatorHistoryView(sites[0], deviceId, false, from, to, []));
            }

            var series = new List<HistorySeriesView>();
            foreach (var (point, aggregate) in Charted)
            {
                series.Add(new HistorySeriesView(point, aggregate, await history.ReadAsync("elevator", sites[0], deviceId, point, aggregate, from, to, hour, ct)));
            }

            return Results.Json(new ElevatorHistoryView(sites[0], deviceId, true, from, to, series));
        }).RequireAuthorization(Policies.Crew);
}

using Facilities.Cloud.Http;

namespace Facilities.Cloud.ReadModels;

/// <summary>
/// <c>GET /api/elevators?site=</c> (every elevator with its score, sickest first) and
/// <c>GET /api/elevators/{deviceId}/health?site=&amp;days=</c>. A device id is unique per site: <c>site</c> may be left
/// out when only one site has an elevator of that id, and is required (400) when several have.
/// </summary>
internal static class ElevatorEndpoints
{
    public const int DefaultUsageDays = 14;
    public const int MaxUsageDays = 90;

    public static RouteGroupBuilder MapElevatorEndpoints(this IEndpointRouteBuilder app)
    {
        var elevators = app.MapGroup("/api/elevators").WithTags("elevators");
        elevators.MapGet("/", ListAsync)
            .WithSummary("Every elevator (of a site) with its health score and status, lowest score first")
            .Produces<List<ElevatorSummaryView>>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        elevators.MapGet("/{deviceId}/health", HealthAsync)
            .WithSummary("Health of one elevator: status, faults of the last 30 days, trips and door cycles per day, maintenance, open work orders, score with reasons")
            .Produces<ElevatorHealthView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return elevators;
    }

    private static async Task<IResult> ListAsync(string? site, ElevatorHealthReader reader, CancellationToken cancellationToken)
    {
        if (site is not null && !await reader.SiteExistsAsync(site, cancellationToken))
        {
            return ChargerEndpoints.UnknownSite(site);
        }

        var views = await reader.ReadAsync(site, null, 0, cancellationToken);
        return Results.Json(views
            .Select(v => new ElevatorSummaryView(v.Site, v.Device, v.Building, v.Score, v.Status.Link, v.Status.ServiceMode, v.Status.Fault, v.Status.Running,
                v.Status.Floor, v.Faults.Count, v.OpenWorkOrders.Count, v.Maintenance.Next, v.Reasons))
            .OrderBy(v => v.Score).ThenBy(v => v.Site, StringComparer.Ordinal).ThenBy(v => v.Device, StringComparer.Ordinal)
            .ToList());
    }

    private static async Task<IResult> HealthAsync(string deviceId, string? site, int? days, ElevatorHealthReader reader, CancellationToken cancellationToken)
    {
        if (days is < 1 or > MaxUsageDays)
        {
            return ApiProblem.Of(400, "invalid query", $"'days' must be between 1 and {MaxUsageDays}; got {days}");
        }

        if (site is not null && !await reader.SiteExistsAsync(site, cancellationToken))
        {
            return ChargerEndpoints.UnknownSite(site);
        }

        var sites = await reader.SitesOfAsync(deviceId, site, cancellationToken);
        switch (sites.Count)
        {
            case 0:
                return ApiProblem.Of(404, "elevator not found", site is null
                    ? $"there is no elevator '{deviceId}'"
                    : $"site '{site}' has no elevator '{deviceId}'");
            case > 1:
                return ApiProblem.Of(400, "ambiguous device id",
                    $"elevator '{deviceId}' exists on several sites ({string.Join(", ", sites)}); add ?site= to say which");
        }

        var view = (await reader.ReadAsync(sites[0], deviceId, days ?? DefaultUsageDays, cancellationToken)).Single();
        return Results.Json(view);
    }
}

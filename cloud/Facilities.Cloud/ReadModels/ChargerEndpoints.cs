using Facilities.Cloud.Domain.Chargers;
using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.ReadModels;

/// <summary>A site a resident can pick, with what it has.</summary>
internal sealed record SiteSummary(string Site, int ChargerSheds, int Elevators, int Devices);

/// <summary>Every charger shed of a site; <c>Free</c> and <c>Total</c> count the ports of sheds whose state is known.</summary>
internal sealed record SiteChargersView(string Site, DateTimeOffset GeneratedAt, int Free, int Total, int ShedsUnknown, IReadOnlyList<ShedView> Sheds);

/// <summary>
/// <c>GET /api/sites</c> and <c>GET /api/sites/{site}/chargers</c>: public (residents), computed from the devices,
/// gateways and latest values the ingestion keeps, so every cloud instance answers the same. Nothing personal.
/// </summary>
internal static class ChargerEndpoints
{
    public const string ShedKind = "charger-shed";

    public static RouteGroupBuilder MapChargerEndpoints(this IEndpointRouteBuilder app)
    {
        var sites = app.MapGroup("/api/sites").WithTags("chargers");
        sites.MapGet("/", ListSitesAsync)
            .WithSummary("Sites with their charger shed and elevator counts")
            .Produces<List<SiteSummary>>();
        sites.MapGet("/{site}/chargers", ChargersAsync)
            .WithSummary("Charger availability of a site: every shed, every port")
            .Produces<SiteChargersView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return sites;
    }

    private static async Task<IResult> ListSitesAsync(CloudDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var (counts, gatewaySites) = await ReadModelStore.SitesAsync(connection, cancellationToken);
        var bySite = counts.GroupBy(c => c.Site).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var sites = bySite.Keys.Union(gatewaySites, StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(site =>
        {
            var kinds = bySite.GetValueOrDefault(site) ?? [];
            return new SiteSummary(site, Count(kinds, ShedKind), Count(kinds, "elevator"), (int)kinds.Sum(k => k.Count));
        });
        return Results.Json(sites.ToList());
    }

    private static int Count(List<(string Site, string Kind, long Count)> kinds, string kind) => (int)kinds.Where(k => k.Kind == kind).Sum(k => k.Count);

    private static async Task<IResult> ChargersAsync(string site, CloudDatabase database, ReadModelOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        if (!await ReadModelStore.SiteExistsAsync(connection, site, cancellationToken))
        {
            return UnknownSite(site);
        }

        var sheds = await ReadModelStore.ShedsAsync(connection, site, ShedKind, cancellationToken);
        var values = (await ReadModelStore.ShedValuesAsync(connection, site, ShedKind, cancellationToken)).ToLookup(v => v.Device, StringComparer.Ordinal);
        var views = sheds.Select(s => ChargerAvailability.Evaluate(
            new ShedFacts(s.Device, s.Building, s.State, UnixTime.FromMs(s.LastSeen), s.GatewayState, Points(values[s.Device])), new ChargerTiming(options.StaleAfter, options.TypicalChargeDuration), now)).ToList();
        var known = views.Where(v => v.Free is not null).ToList();
        return Results.Json(new SiteChargersView(site, now, known.Sum(v => v.Free ?? 0), known.Sum(v => v.Total), views.Count - known.Count, views));
    }

    internal static IReadOnlyDictionary<string, PointReading> Points(IEnumerable<LatestValueRow> rows) =>
        rows.ToDictionary(r => r.Point, r => new PointReading(r.Value, r.Label, UnixTime.FromMs(r.Ts)), StringComparer.Ordinal);

    internal static IResult UnknownSite(string site) => ApiProblem.Of(404, "site not found", $"there is no site '{site}' (no gateway or device of it was ever heard)");
}

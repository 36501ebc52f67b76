using Facilities.Cloud.Access;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.Pages;

/// <summary>
/// The pages: <c>/chargers</c> for everyone, <c>/console</c> and <c>/elevators</c> for crews and engineers,
/// <c>/admin/users</c> for admins; plus <c>/assets/*</c> and the language switch. Pages are shells; their scripts
/// read the JSON API with the visitor's own rights, so a page can show no more than its API allows.
/// </summary>
internal static class PageEndpoints
{
    public static void MapPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Redirect("/chargers")).AllowAnonymous();
        app.MapGet("/assets/{name}", ServeAsset).AllowAnonymous();
        app.MapGet("/language/{language}", (string language, string? returnUrl, HttpContext context) =>
        {
            if (!PageStrings.Languages.Contains(language, StringComparer.Ordinal))
            {
                return ApiProblem.Of(404, "unknown language", $"'{language}' is not one of {string.Join(", ", PageStrings.Languages)}");
            }

            context.Response.Cookies.Append(PageStrings.LanguageCookie, language, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = context.Request.IsHttps, Path = "/", IsEssential = true, MaxAge = TimeSpan.FromDays(365),
            });
            return Results.Redirect(AccessEndpoints.IsLocal(returnUrl) ? returnUrl! : "/");
        }).AllowAnonymous();

        app.MapGet("/chargers", (HttpContext context) => PageShell.Render(context, new PageRequest("chargers", "chargers.title", Script: "chargers.js"))).AllowAnonymous();
        app.MapGet("/console", (HttpContext context) => PageShell.Render(context, new PageRequest("console", "console.title", Script: "console.js"))).RequireAuthorization(Policies.Crew);
        app.MapGet("/elevators", (HttpContext context) => PageShell.Render(context, new PageRequest("elevators", "elevators.title", Script: "elevators.js"))).RequireAuthorization(Policies.Crew);
        app.MapGet("/elevators/{device}", (string device, string? site, HttpContext context) => PageShell.Render(context, new PageRequest(
            "elevator", "elevator.title", new Dictionary<string, string> { ["device"] = device, ["site"] = site ?? string.Empty }, Script: "elevator.js"))).RequireAuthorization(Policies.Crew);
        app.MapGet("/admin/users", (HttpContext context) => PageShell.Render(context, new PageRequest("users", "users.title", Script: "users.js"))).RequireAuthorization(Policies.Admin);
    }

    private static IResult ServeAsset(string name, string? v, HttpContext context, PageAssets assets)
    {
        if (assets.Find(name) is not { } asset)
        {
            return ApiProblem.Of(404, "asset not found", $"there is no asset '{name}'");
        }

        var etag = $"\"{asset.Version}\"";
        var headers = context.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = v == asset.Version ? "public, max-age=31536000, immutable" : "no-cache";
        headers.XContentTypeOptions = "nosniff";
        return context.Request.Headers.IfNoneMatch.Contains(etag)
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Content, asset.ContentType);
    }
}

using System.Security.Claims;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.Access;

/// <summary>Marks an endpoint whose state changes are checked for their origin even without a session (the sign-in form: login CSRF).</summary>
internal sealed class SameOriginRequired
{
    public static SameOriginRequired Instance { get; } = new();

    private SameOriginRequired()
    {
    }
}

/// <summary>
/// Cross-site request forgery defence. SameSite=Lax keeps the session cookie off cross-<em>site</em> posts only: a page
/// on another port of the same host is same-site and its form or fetch would carry the cookie. So every
/// POST/PUT/PATCH/DELETE authenticated by the session cookie (and every sign-in) must name, in <c>Origin</c> (or, when
/// a browser left that out, <c>Referer</c>), the request's own scheme://host:port or one of <c>Web:AllowedOrigins</c>;
/// otherwise 403 problem details. Browsers always send Origin on a POST made by fetch or a form, and a page cannot forge
/// it. A request with an API token is not checked: a bearer token is never sent by a browser on its own.
/// </summary>
internal sealed partial class SameOriginGuard(RequestDelegate next, WebOptions options, ILogger<SameOriginGuard> logger)
{
    private readonly Uri[] _allowed = [.. options.AllowedOrigins.Select(o => ParseOrigin(o)!)];

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method) && !HttpMethods.IsTrace(request.Method)
            && (SignedInByCookie(context.User) || context.GetEndpoint()?.Metadata.GetMetadata<SameOriginRequired>() is not null)
            && Refusal(request, _allowed) is { } reason)
        {
            LogRefused(logger, request.Method, request.Path, reason);
            await ApiProblem.Of(StatusCodes.Status403Forbidden, "cross-origin request refused", reason).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    /// <summary>Why the request's origin is not accepted; null when it is this site's own (or an allowed) origin.</summary>
    public static string? Refusal(HttpRequest request, IReadOnlyList<Uri> allowed)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(allowed);
        var (header, value) = request.Headers.Origin.ToString() is { Length: > 0 } origin ? ("Origin", origin)
            : request.Headers.Referer.ToString() is { Length: > 0 } referer ? ("Referer", referer)
            : (null, null);
        if (header is null || value is null)
        {
            return "the request has neither an Origin nor a Referer header; a state change made with the session cookie must come from this site's own pages";
        }

        var own = ParseOrigin($"{request.Scheme}://{request.Host}");
        if (ParseOrigin(value) is not { } from)
        {
            return $"{header} '{Shorten(value)}' is not an http(s) origin; a state change made with the session cookie must come from this site's own pages";
        }

        if ((own is not null && SameOrigin(from, own)) || allowed.Any(a => SameOrigin(from, a)))
        {
            return null;
        }

        return $"{header} '{Shorten(from.GetLeftPart(UriPartial.Authority))}' is not this site ({own?.GetLeftPart(UriPartial.Authority) ?? "unknown host"}) nor one of Web:AllowedOrigins";
    }

    /// <summary>An absolute http or https URL (an origin, or a Referer whose path is ignored); null otherwise, "null" included.</summary>
    public static Uri? ParseOrigin(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0 ? uri : null;

    // Uri.Port fills in the scheme's default port, so http://h and http://h:80 are one origin, as browsers see it.
    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static bool SignedInByCookie(ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true } && user.FindFirst(ClaimTypes.AuthenticationMethod)?.Value == AccessAuthenticationHandler.SessionMethod;

    private static string Shorten(string value) => value.Length <= 100 ? value : value[..100] + "…";

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Refused {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string reason);
}

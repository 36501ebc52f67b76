using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Facilities.Cloud.Access;

/// <summary>
/// One scheme for people and machines: <c>Authorization: Bearer fct_…</c> (an API token) or the session cookie set
/// by sign-in. Both are looked up in the database, so any instance accepts them and removing a user ends both at once.
/// An unauthenticated page request is sent to the sign-in page; an API request gets 401 problem details.
/// </summary>
internal sealed class AccessAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, UserStore users, AccessOptions access)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "facilities";
    public const string CookieName = "facilities_session";

    /// <summary>The authentication-method claim of a request signed in by the session cookie (an API token's is <c>token</c>).</summary>
    public const string SessionMethod = "session";

    /// <summary>The role claim type (also what <c>RequireRole</c> checks).</summary>
    public const string RoleClaim = ClaimTypes.Role;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var user = await users.FindTokenAsync(authorization["Bearer ".Length..].Trim(), Context.RequestAborted);
            return user is null ? AuthenticateResult.Fail("the API token is not known (revoked, or its user removed)") : Success(user, "token");
        }

        if (Request.Cookies.TryGetValue(CookieName, out var sessionId) && !string.IsNullOrEmpty(sessionId))
        {
            var found = await users.FindSessionAsync(sessionId, Context.RequestAborted);
            if (found is not { } session)
            {
                SessionCookie.Clear(Context, access);
                return AuthenticateResult.NoResult();
            }

            if (session.Renewed is { } expires)
            {
                SessionCookie.Write(Context, access, sessionId, expires);
            }

            return Success(session.User, SessionMethod);
        }

        return AuthenticateResult.NoResult();
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (IsApiRequest(Request))
        {
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            Response.Headers.WWWAuthenticate = "Bearer";
        }
        else
        {
            Response.Redirect("/sign-in?returnUrl=" + Uri.EscapeDataString(Request.PathBase + Request.Path + Request.QueryString));
        }

        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return IsApiRequest(Request) ? Task.CompletedTask : Pages.PageShell.WriteForbiddenAsync(Context);
    }

    /// <summary>API paths, and anything not asked for as HTML, get status codes rather than pages.</summary>
    public static bool IsApiRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.Path;
        return path.StartsWithSegments("/api") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/openapi")
            || !request.Headers.Accept.Any(a => a is not null && a.Contains("text/html", StringComparison.OrdinalIgnoreCase));
    }

    private static AuthenticateResult Success(AccessUser user, string method)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Name), new Claim(RoleClaim, user.Role), new Claim(ClaimTypes.AuthenticationMethod, method)],
            SchemeName, ClaimTypes.Name, RoleClaim);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

/// <summary>The session cookie: HttpOnly, SameSite=Lax, Secure on HTTPS (or always, <c>Identity:SecureCookies</c>).</summary>
internal static class SessionCookie
{
    public static void Write(HttpContext context, AccessOptions options, string sessionId, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Cookies.Append(AccessAuthenticationHandler.CookieName, sessionId, Options(context, options, expires));
    }

    public static void Clear(HttpContext context, AccessOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Cookies.Delete(AccessAuthenticationHandler.CookieName, Options(context, options, null));
    }

    private static CookieOptions Options(HttpContext context, AccessOptions options, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = context.Request.IsHttps || options.SecureCookies,
        Path = "/",
        IsEssential = true,
        Expires = expires,
    };
}

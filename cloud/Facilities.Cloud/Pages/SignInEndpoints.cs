using Facilities.Cloud.Access;
using Facilities.Cloud.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Facilities.Cloud.Pages;

/// <summary>
/// The sign-in page and its form (<c>GET/POST /sign-in</c>), sign-out, and the page a browser sees when the sign-in
/// rate limit refuses it. Checking passwords, throttling and sessions belong to Access; this is their page.
/// </summary>
internal static partial class SignInEndpoints
{
    /// <summary>The sign-in form's body limit: a name, a password of at most 256 characters and a return path.</summary>
    public const long SignInFormBytes = 8 * 1024;

    public static void MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sign-in", (HttpContext context, string? returnUrl) => SignInPage(context, returnUrl, null, StatusCodes.Status200OK)).AllowAnonymous();
        app.MapPost("/sign-in", SignInAsync).AllowAnonymous().RequireRateLimiting(SignInThrottle.ClientPolicy)
            .WithMetadata(SameOriginRequired.Instance, new RequestBodyLimit(SignInFormBytes));
        app.MapPost("/sign-out", SignOutAsync).AllowAnonymous();
    }

    /// <summary>A browser refused by the sign-in rate limit gets the sign-in page with the reason; API clients get the bare 429.</summary>
    public static IServiceCollection AddSignInRejectionPage(this IServiceCollection services) =>
        services.Configure<RateLimiterOptions>(limiter => limiter.OnRejected = async (rejected, cancellationToken) =>
        {
            var context = rejected.HttpContext;
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            if (!AccessAuthenticationHandler.IsApiRequest(context.Request))
            {
                await SignInPage(context, null, "signin.too-many", StatusCodes.Status429TooManyRequests).ExecuteAsync(context);
            }
        });

    public static IResult SignInPage(HttpContext context, string? returnUrl, string? errorKey, int status)
    {
        ArgumentNullException.ThrowIfNull(context);
        var strings = context.RequestServices.GetRequiredService<PageStrings>();
        var error = errorKey is null ? string.Empty : strings.Get(PageStrings.LanguageOf(context.Request), errorKey);
        return PageShell.Render(context, new PageRequest("sign-in", "signin.title", new Dictionary<string, string>
        {
            ["returnUrl"] = AccessEndpoints.IsLocal(returnUrl) ? returnUrl! : string.Empty,
            ["error"] = error,
            ["errorHidden"] = errorKey is null ? "hidden" : string.Empty,
        }), status);
    }

    private static async Task<IResult> SignInAsync(
        HttpContext context, UserStore directory, SignInThrottle throttle, AccessOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("Facilities.Cloud.Access.SignIn");
        if (!context.Request.HasFormContentType)
        {
            return ApiProblem.Of(415, "invalid request", "sign-in takes a form (application/x-www-form-urlencoded) with 'name' and 'password'");
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(cancellationToken);
        }
        catch (Exception error) when (error is BadHttpRequestException or InvalidDataException)
        {
            // Kestrel cut a chunked body at the limit, or a field broke the form reader's own limits: the client's fault, never a 500.
            return RequestBodyLimiter.TooLarge(context, SignInFormBytes);
        }

        var name = form["name"].ToString().Trim();
        var password = form["password"].ToString();
        var returnUrl = form["returnUrl"].ToString();
        if (name.Length == 0 || password.Length == 0)
        {
            return SignInPage(context, returnUrl, "signin.missing", StatusCodes.Status400BadRequest);
        }

        if (name.Length > 64 || password.Length > 256)
        {
            // No user has such a name or password (UserStore's rules): refused without hashing or remembering the name.
            return SignInPage(context, returnUrl, "signin.failed", StatusCodes.Status401Unauthorized);
        }

        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.Check(name, client) is { } wait)
        {
            LogThrottled(logger, name, client);
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return SignInPage(context, returnUrl, "signin.too-many", StatusCodes.Status429TooManyRequests);
        }

        var user = await directory.VerifyPasswordAsync(name, password, cancellationToken);
        if (user is null)
        {
            throttle.Failed(name, client);
            LogRefused(logger, name, client);
            return SignInPage(context, returnUrl, "signin.failed", StatusCodes.Status401Unauthorized);
        }

        throttle.Succeeded(name, client);

        var session = await directory.BeginSessionAsync(user, cancellationToken);
        SessionCookie.Write(context, options, session.Id, session.ExpiresAt);
        LogSignedIn(logger, user.Name, user.Role);
        return Results.Redirect(AccessEndpoints.IsLocal(returnUrl) ? returnUrl : AccessEndpoints.HomeOf(user.Role));
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, UserStore directory, AccessOptions options, CancellationToken cancellationToken)
    {
        if (context.Request.Cookies.TryGetValue(AccessAuthenticationHandler.CookieName, out var sessionId) && !string.IsNullOrEmpty(sessionId))
        {
            await directory.EndSessionAsync(sessionId, cancellationToken);
        }

        SessionCookie.Clear(context, options);
        return Results.Redirect("/chargers");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Signed in: {User} ({Role})")]
    private static partial void LogSignedIn(ILogger logger, string user, string role);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Sign-in refused for '{User}' from {Client}")]
    private static partial void LogRefused(ILogger logger, string user, string? client);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Sign-in attempts for '{User}' from {Client} over the limit; refused without checking")]
    private static partial void LogThrottled(ILogger logger, string user, string client);
}

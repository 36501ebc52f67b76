using System.Security.Claims;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Pages;

namespace Facilities.Cloud.Access;

/// <summary>Body of <c>POST /api/users</c>.</summary>
public sealed record NewUserRequest(string? Name, string? Role, string? Password);

/// <summary>Body of <c>POST /api/users/{name}/tokens</c>.</summary>
public sealed record NewTokenRequest(string? Label);

/// <summary>Body of <c>POST /api/users/{name}/password</c>.</summary>
public sealed record PasswordRequest(string? Password);

/// <summary>
/// Sign-in and sign-out (pages, cookie sessions), <c>GET /api/me</c>, and user administration for admins:
/// <c>GET/POST /api/users</c>, <c>DELETE /api/users/{name}</c>, <c>POST /api/users/{name}/password</c>,
/// <c>POST /api/users/{name}/tokens</c>, <c>DELETE /api/users/{name}/tokens/{label}</c>.
/// </summary>
public static partial class AccessEndpoints
{
    /// <summary>The sign-in form's body limit: a name, a password of at most 256 characters and a return path.</summary>
    public const long SignInFormBytes = 8 * 1024;

    public static void MapAccessEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sign-in", (HttpContext context, string? returnUrl) => SignInPage(context, returnUrl, null, StatusCodes.Status200OK)).AllowAnonymous();
        app.MapPost("/sign-in", SignInAsync).AllowAnonymous().RequireRateLimiting(SignInThrottle.ClientPolicy)
            .WithMetadata(SameOriginRequired.Instance, new RequestBodyLimit(SignInFormBytes));
        app.MapPost("/sign-out", SignOutAsync).AllowAnonymous();
        app.MapGet("/api/me", (ClaimsPrincipal user) => Results.Json(user.Identity is { IsAuthenticated: true } identity
            ? new { signedIn = true, name = identity.Name, role = user.FindFirst(AccessAuthenticationHandler.RoleClaim)?.Value }
            : new { signedIn = false, name = (string?)null, role = (string?)null })).AllowAnonymous();

        var users = app.MapGroup("/api/users").RequireAuthorization(Policies.Admin);
        users.MapGet("/", (UserDirectory directory, CancellationToken ct) => directory.ListAsync(ct));
        users.MapPost("/", AddUserAsync);
        users.MapDelete("/{name}", async (string name, ClaimsPrincipal me, UserDirectory directory, CancellationToken ct) =>
            name == me.Identity?.Name ? AlertEndpoints.Problem(409, "invalid request", "you cannot remove yourself; another admin can")
            : await directory.RemoveAsync(name, ct) ? Results.NoContent() : NoUser(name));
        users.MapPost("/{name}/password", async (string name, PasswordRequest? body, UserDirectory directory, CancellationToken ct) =>
            UserDirectory.PasswordProblem(body?.Password) is { } problem ? AlertEndpoints.Problem(400, "invalid request", $"'password': {problem}")
            : await directory.SetPasswordAsync(name, body!.Password!, ct) ? Results.NoContent() : NoUser(name));
        users.MapPost("/{name}/tokens", async (string name, NewTokenRequest? body, UserDirectory directory, CancellationToken ct) =>
        {
            var label = body?.Label;
            if (UserDirectory.LabelProblem(label) is { } problem)
            {
                return AlertEndpoints.Problem(400, "invalid request", $"'label' is required: what the token is for; {problem}");
            }

            var token = await directory.IssueTokenAsync(name, label!, ct);
            return token is null ? NoUser(name) : Results.Json(new { user = name, label, token }, statusCode: StatusCodes.Status201Created);
        });
        users.MapDelete("/{name}/tokens/{label}", async (string name, string label, UserDirectory directory, CancellationToken ct) =>
            await directory.RevokeTokensAsync(name, label, ct) > 0 ? Results.NoContent()
            : AlertEndpoints.Problem(404, "token not found", $"user '{name}' has no token labelled '{label}'"));
    }

    /// <summary>Where a user lands after signing in without a page to return to.</summary>
    public static string HomeOf(string? role) => role switch
    {
        Roles.Engineer or Roles.Admin => "/console",
        Roles.Crew => "/elevators",
        _ => "/chargers",
    };

    /// <summary>Only paths on this host: <c>/x</c>, never <c>//host</c> or <c>/\host</c> (open redirects).</summary>
    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Any(char.IsControl);

    public static IResult SignInPage(HttpContext context, string? returnUrl, string? errorKey, int status)
    {
        ArgumentNullException.ThrowIfNull(context);
        var strings = context.RequestServices.GetRequiredService<PageStrings>();
        var error = errorKey is null ? string.Empty : strings.Get(PageStrings.LanguageOf(context.Request), errorKey);
        return PageShell.Render(context, new PageRequest("sign-in", "signin.title", new Dictionary<string, string>
        {
            ["returnUrl"] = IsLocal(returnUrl) ? returnUrl! : string.Empty,
            ["error"] = error,
            ["errorHidden"] = errorKey is null ? "hidden" : string.Empty,
        }), status);
    }

    private static async Task<IResult> SignInAsync(
        HttpContext context, UserDirectory directory, SignInThrottle throttle, AccessOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("Facilities.Cloud.Access.SignIn");
        if (!context.Request.HasFormContentType)
        {
            return AlertEndpoints.Problem(415, "invalid request", "sign-in takes a form (application/x-www-form-urlencoded) with 'name' and 'password'");
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
            // No user has such a name or password (UserDirectory's rules): refused without hashing or remembering the name.
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
        return Results.Redirect(IsLocal(returnUrl) ? returnUrl : HomeOf(user.Role));
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, UserDirectory directory, AccessOptions options, CancellationToken cancellationToken)
    {
        if (context.Request.Cookies.TryGetValue(AccessAuthenticationHandler.CookieName, out var sessionId) && !string.IsNullOrEmpty(sessionId))
        {
            await directory.EndSessionAsync(sessionId, cancellationToken);
        }

        SessionCookie.Clear(context, options);
        return Results.Redirect("/chargers");
    }

    private static async Task<IResult> AddUserAsync(NewUserRequest? body, UserDirectory directory, CancellationToken cancellationToken)
    {
        if (UserDirectory.NameProblem(body?.Name) is { } name)
        {
            return AlertEndpoints.Problem(400, "invalid request", $"'name': {name}");
        }

        if (!Roles.IsKnown(body!.Role))
        {
            return AlertEndpoints.Problem(400, "invalid request", $"'role' must be one of {string.Join(", ", Roles.All)}; got '{body.Role}'");
        }

        if (UserDirectory.PasswordProblem(body.Password) is { } password)
        {
            return AlertEndpoints.Problem(400, "invalid request", $"'password': {password}");
        }

        return await directory.AddAsync(body.Name!, body.Role!, body.Password!, cancellationToken)
            ? Results.Json(new { name = body.Name, role = body.Role }, statusCode: StatusCodes.Status201Created)
            : AlertEndpoints.Problem(409, "user exists", $"there is already a user '{body.Name}'");
    }

    private static IResult NoUser(string name) => AlertEndpoints.Problem(404, "user not found", $"there is no user '{name}'");

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Signed in: {User} ({Role})")]
    private static partial void LogSignedIn(ILogger logger, string user, string role);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Sign-in refused for '{User}' from {Client}")]
    private static partial void LogRefused(ILogger logger, string user, string? client);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Sign-in attempts for '{User}' from {Client} over the limit; refused without checking")]
    private static partial void LogThrottled(ILogger logger, string user, string client);
}

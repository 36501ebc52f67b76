using System.Security.Claims;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.Access;

/// <summary>Body of <c>POST /api/users</c>.</summary>
internal sealed record NewUserRequest(string? Name, string? Role, string? Password);

/// <summary>Body of <c>POST /api/users/{name}/tokens</c>.</summary>
internal sealed record NewTokenRequest(string? Label);

/// <summary>Body of <c>POST /api/users/{name}/password</c>.</summary>
internal sealed record PasswordRequest(string? Password);

/// <summary>
/// <c>GET /api/me</c>, and user administration for admins:
/// <c>GET/POST /api/users</c>, <c>DELETE /api/users/{name}</c>, <c>POST /api/users/{name}/password</c>,
/// <c>POST /api/users/{name}/tokens</c>, <c>DELETE /api/users/{name}/tokens/{label}</c>.
/// </summary>
internal static class AccessEndpoints
{
    public static void MapAccessEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me", (ClaimsPrincipal user) => Results.Json(user.Identity is { IsAuthenticated: true } identity
            ? new { signedIn = true, name = identity.Name, role = user.FindFirst(AccessAuthenticationHandler.RoleClaim)?.Value }
            : new { signedIn = false, name = (string?)null, role = (string?)null })).AllowAnonymous();

        var users = app.MapGroup("/api/users").RequireAuthorization(Policies.Admin);
        users.MapGet("/", (UserStore directory, CancellationToken ct) => directory.ListAsync(ct));
        users.MapPost("/", AddUserAsync);
        users.MapDelete("/{name}", async (string name, ClaimsPrincipal me, UserStore directory, CancellationToken ct) =>
            name == me.Identity?.Name ? ApiProblem.Of(409, "invalid request", "you cannot remove yourself; another admin can")
            : await directory.RemoveAsync(name, ct) ? Results.NoContent() : NoUser(name));
        users.MapPost("/{name}/password", async (string name, PasswordRequest? body, UserStore directory, CancellationToken ct) =>
            UserStore.PasswordProblem(body?.Password) is { } problem ? ApiProblem.Of(400, "invalid request", $"'password': {problem}")
            : await directory.SetPasswordAsync(name, body!.Password!, ct) ? Results.NoContent() : NoUser(name));
        users.MapPost("/{name}/tokens", async (string name, NewTokenRequest? body, UserStore directory, CancellationToken ct) =>
        {
            var label = body?.Label;
            if (UserStore.LabelProblem(label) is { } problem)
            {
                return ApiProblem.Of(400, "invalid request", $"'label' is required: what the token is for; {problem}");
            }

            var token = await directory.IssueTokenAsync(name, label!, ct);
            return token is null ? NoUser(name) : Results.Json(new { user = name, label, token }, statusCode: StatusCodes.Status201Created);
        });
        users.MapDelete("/{name}/tokens/{label}", async (string name, string label, UserStore directory, CancellationToken ct) =>
            await directory.RevokeTokensAsync(name, label, ct) > 0 ? Results.NoContent()
            : ApiProblem.Of(404, "token not found", $"user '{name}' has no token labelled '{label}'"));
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

    private static async Task<IResult> AddUserAsync(NewUserRequest? body, UserStore directory, CancellationToken cancellationToken)
    {
        if (UserStore.NameProblem(body?.Name) is { } name)
        {
            return ApiProblem.Of(400, "invalid request", $"'name': {name}");
        }

        if (!Roles.IsKnown(body!.Role))
        {
            return ApiProblem.Of(400, "invalid request", $"'role' must be one of {string.Join(", ", Roles.All)}; got '{body.Role}'");
        }

        if (UserStore.PasswordProblem(body.Password) is { } password)
        {
            return ApiProblem.Of(400, "invalid request", $"'password': {password}");
        }

        return await directory.AddAsync(body.Name!, body.Role!, body.Password!, cancellationToken)
            ? Results.Json(new { name = body.Name, role = body.Role }, statusCode: StatusCodes.Status201Created)
            : ApiProblem.Of(409, "user exists", $"there is already a user '{body.Name}'");
    }

    private static IResult NoUser(string name) => ApiProblem.Of(404, "user not found", $"there is no user '{name}'");
}

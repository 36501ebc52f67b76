namespace Facilities.Cloud.Access;

/// <summary>
/// Who a signed-in person is to the system. A resident sees what an anonymous visitor sees (the charger pages); a
/// crew member reads elevators, alerts and work orders and works on orders; an engineer does everything but manage
/// users; an admin does everything.
/// </summary>
internal static class Roles
{
    public const string Resident = "resident";
    public const string Crew = "crew";
    public const string Engineer = "engineer";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Resident, Crew, Engineer, Admin];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);
}

/// <summary>
/// The authorization policies every endpoint names (or it is explicitly anonymous: <c>AllowAnonymous</c>). A test
/// enumerates the endpoints and fails on one that says neither, so an endpoint added later cannot be open by mistake.
/// </summary>
internal static class Policies
{
    /// <summary>Crew, engineers and admins: elevators, alerts and work orders, and acting on work orders.</summary>
    public const string Crew = "crew";

    /// <summary>Engineers and admins: everything but user administration.</summary>
    public const string Engineer = "engineer";

    /// <summary>Admins only: users and their API tokens.</summary>
    public const string Admin = "admin";

    public static IServiceCollection AddAccessPolicies(this IServiceCollection services) =>
        services.AddAuthorizationBuilder()
            .AddPolicy(Crew, p => p.RequireAuthenticatedUser().RequireRole(Roles.Crew, Roles.Engineer, Roles.Admin))
            .AddPolicy(Engineer, p => p.RequireAuthenticatedUser().RequireRole(Roles.Engineer, Roles.Admin))
            .AddPolicy(Admin, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin))
            // Defence in depth: whatever reaches authorization without naming a policy needs an admin.
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(Roles.Admin).Build())
            .Services;
}

using System.Threading.RateLimiting;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Access;

internal static class AccessServiceCollectionExtensions
{
    /// <summary>
    /// Sign-in and roles from configuration section <c>Identity</c> (validated now): the user directory, the session
    /// cookie and bearer-token scheme, the role policies, the sign-in rate limits and the seed users; and the web front
    /// door's limits from section <c>Web</c> (body limits, origins accepted for cookie-authenticated state changes).
    /// </summary>
    public static IServiceCollection AddAccess(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = Settings.Bind<AccessOptions>(configuration, "Identity", o => o.Validate());

        var web = Settings.Bind<WebOptions>(configuration, "Web", o => o.Validate());

        services.AddSingleton(options);
        services.AddSingleton(web);
        services.AddSingleton<UserStore>();
        services.AddSingleton<SignInThrottle>();
        services.AddHostedService<AccessSeeder>();
        services.AddAuthentication(AccessAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, AccessAuthenticationHandler>(AccessAuthenticationHandler.SchemeName, null);
        services.AddAccessPolicies();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(SignInThrottle.ClientPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.SignInPerClientPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            // The sign-in page (Pages/SignInEndpoints.cs) renders the refusal for browsers; API clients get the bare status.
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        });
        return services;
    }

    /// <summary>Security headers on every response (<see cref="SecurityHeaders"/>); first in the pipeline, so error responses get them too.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.UseMiddleware<SecurityHeaders>();

    /// <summary>Request body limits per endpoint (<see cref="RequestBodyLimiter"/>).</summary>
    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) => app.UseMiddleware<RequestBodyLimiter>();

    /// <summary>The CSRF check (<see cref="SameOriginGuard"/>); after authentication, which tells a cookie from a token.</summary>
    public static IApplicationBuilder UseSameOriginGuard(this IApplicationBuilder app) => app.UseMiddleware<SameOriginGuard>();
}

/// <summary>Creates the users of <c>Identity:SeedUsers</c> that do not exist yet (after the schema migration, which starts first).</summary>
internal sealed partial class AccessSeeder(UserStore users, AccessOptions options, ILogger<AccessSeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var seed in options.SeedUsers)
        {
            if (await users.AddAsync(seed.Name, seed.Role, seed.Password, cancellationToken))
            {
                LogSeeded(logger, seed.Name, seed.Role);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Created user {User} ({Role}) from Identity:SeedUsers")]
    private static partial void LogSeeded(ILogger logger, string user, string role);
}

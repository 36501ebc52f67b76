using System.Threading.RateLimiting;

namespace Facilities.Cloud.Access;

/// <summary>
/// Limits sign-in attempts against one user name, wherever they come from (the per-client limit is the ASP.NET rate
/// limiter policy <see cref="ClientPolicy"/> on the endpoint). Counts are per instance: with N instances an attacker
/// gets N times the budget, still far too few guesses for a password of eight or more characters.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    public const string ClientPolicy = "sign-in-per-client";

    private readonly PartitionedRateLimiter<string> _perUser;

    public SignInThrottle(AccessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _perUser = PartitionedRateLimiter.Create<string, string>(name => RateLimitPartition.GetFixedWindowLimiter(
            name.ToUpperInvariant(),
            _ => new FixedWindowRateLimiterOptions { PermitLimit = options.SignInPerUserPer5Minutes, Window = TimeSpan.FromMinutes(5), QueueLimit = 0 }));
    }

    /// <summary>Takes one attempt for the name; false when its budget is spent.</summary>
    public bool TryAttempt(string userName)
    {
        using var lease = _perUser.AttemptAcquire(userName);
        return lease.IsAcquired;
    }

    public void Dispose() => _perUser.Dispose();
}

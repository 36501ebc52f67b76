namespace Facilities.Cloud.Access;

/// <summary>Configuration section <c>Identity</c>.</summary>
public sealed class AccessOptions
{
    /// <summary>Users created at start-up when no user of that name exists (demo sign-ins, a first admin).</summary>
    public List<SeedUser> SeedUsers { get; init; } = [];

    /// <summary>A session ends after this long without a request (sliding expiry).</summary>
    public TimeSpan SessionIdle { get; init; } = TimeSpan.FromHours(12);

    /// <summary>Mark the session cookie Secure even on plain HTTP (behind a proxy that terminates TLS).</summary>
    public bool SecureCookies { get; init; }

    /// <summary>PBKDF2-HMAC-SHA512 iterations for new password hashes (OWASP's 2023 figure by default).</summary>
    public int PasswordIterations { get; init; } = 210_000;

    /// <summary>Sign-in attempts one client (IP address) may make per minute.</summary>
    public int SignInPerClientPerMinute { get; init; } = 20;

    /// <summary>
    /// Failed sign-ins for one user name per five minutes, from anywhere; past it only addresses that have not failed for
    /// the name may try (so the owner still signs in from their own place).
    /// </summary>
    public int SignInPerUserPer5Minutes { get; init; } = 100;

    /// <summary>Wrong passwords for one name from one address before that pair has to wait.</summary>
    public int SignInFreeFailures { get; init; } = 5;

    /// <summary>The first wait after the free failures; it doubles with each further failure.</summary>
    public TimeSpan SignInFirstDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait between two attempts of one name from one address.</summary>
    public TimeSpan SignInMaxDelay { get; init; } = TimeSpan.FromMinutes(15);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        for (var i = 0; i < SeedUsers.Count; i++)
        {
            var seed = SeedUsers[i];
            if (UserStore.NameProblem(seed.Name) is { } name)
            {
                errors.Add($"Identity:SeedUsers:{i}:Name: {name}");
            }

            if (!Roles.IsKnown(seed.Role))
            {
                errors.Add($"Identity:SeedUsers:{i}:Role: '{seed.Role}' is not one of {string.Join(", ", Roles.All)}");
            }

            if (UserStore.PasswordProblem(seed.Password) is { } password)
            {
                errors.Add($"Identity:SeedUsers:{i}:Password: {password}");
            }
        }

        if (SessionIdle < TimeSpan.FromMinutes(1))
        {
            errors.Add($"Identity:SessionIdle: must be at least a minute; got {SessionIdle}");
        }

        if (PasswordIterations < 10_000)
        {
            errors.Add($"Identity:PasswordIterations: must be at least 10000; got {PasswordIterations}");
        }

        if (SignInPerClientPerMinute < 1 || SignInPerUserPer5Minutes < 1)
        {
            errors.Add("Identity:SignInPerClientPerMinute and SignInPerUserPer5Minutes: must be at least 1");
        }

        if (SignInFreeFailures < 1)
        {
            errors.Add($"Identity:SignInFreeFailures: must be at least 1; got {SignInFreeFailures}");
        }

        if (SignInFirstDelay <= TimeSpan.Zero || SignInMaxDelay < SignInFirstDelay)
        {
            errors.Add($"Identity:SignInFirstDelay and SignInMaxDelay: the first delay must be positive and at most the longest; got {SignInFirstDelay} and {SignInMaxDelay}");
        }

        return errors;
    }
}

/// <summary>One entry of <c>Identity:SeedUsers</c>.</summary>
public sealed class SeedUser
{
    public string Name { get; set; } = "";

    public string Role { get; set; } = "";

    public string Password { get; set; } = "";
}

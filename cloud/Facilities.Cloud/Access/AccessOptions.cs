namespace Facilities.Cloud.Access;

/// <summary>Configuration section <c>Identity</c>.</summary>
public sealed class AccessOptions
{
    /// <summary>Users created at start-up when no user of that name exists (demo sign-ins, a first admin).</summary>
    public List<SeedUser> SeedUsers { get; set; } = [];

    /// <summary>A session ends after this long without a request (sliding expiry).</summary>
    public TimeSpan SessionIdle { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Mark the session cookie Secure even on plain HTTP (behind a proxy that terminates TLS).</summary>
    public bool SecureCookies { get; set; }

    /// <summary>PBKDF2-HMAC-SHA512 iterations for new password hashes (OWASP's 2023 figure by default).</summary>
    public int PasswordIterations { get; set; } = 210_000;

    /// <summary>Sign-in attempts one client (IP address) may make per minute.</summary>
    public int SignInPerClientPerMinute { get; set; } = 20;

    /// <summary>Sign-in attempts against one user name per five minutes, from anywhere.</summary>
    public int SignInPerUserPer5Minutes { get; set; } = 10;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        for (var i = 0; i < SeedUsers.Count; i++)
        {
            var seed = SeedUsers[i];
            if (UserDirectory.NameProblem(seed.Name) is { } name)
            {
                errors.Add($"Identity:SeedUsers:{i}:Name: {name}");
            }

            if (!Roles.IsKnown(seed.Role))
            {
                errors.Add($"Identity:SeedUsers:{i}:Role: '{seed.Role}' is not one of {string.Join(", ", Roles.All)}");
            }

            if (UserDirectory.PasswordProblem(seed.Password) is { } password)
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

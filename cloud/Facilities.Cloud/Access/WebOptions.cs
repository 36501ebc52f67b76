namespace Facilities.Cloud.Access;

/// <summary>Configuration section <c>Web</c>: what the web front door accepts (docs/access.md § Hostile browsers and clients).</summary>
internal sealed class WebOptions
{
    /// <summary>The request body limit for endpoints that name none of their own (64 KiB: every API body is small JSON).</summary>
    public long MaxRequestBodyBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Origins besides the request's own scheme://host:port from which a state change made with the session cookie is
    /// accepted, e.g. <c>https://facilities.example.com</c> behind a proxy that terminates TLS or rewrites Host.
    /// </summary>
    public List<string> AllowedOrigins { get; init; } = [];

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxRequestBodyBytes is < 1024 or > 64 * 1024 * 1024)
        {
            errors.Add($"Web:MaxRequestBodyBytes: must be between 1024 and 67108864; got {MaxRequestBodyBytes}");
        }

        for (var i = 0; i < AllowedOrigins.Count; i++)
        {
            if (SameOriginGuard.ParseOrigin(AllowedOrigins[i]) is not { } origin || origin.AbsolutePath != "/" || AllowedOrigins[i].TrimEnd('/').Count(c => c == '/') != 2)
            {
                errors.Add($"Web:AllowedOrigins:{i}: '{AllowedOrigins[i]}' is not an origin (scheme://host[:port], no path)");
            }
        }

        return errors;
    }
}

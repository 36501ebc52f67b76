using System.Globalization;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>
/// Configuration section <c>Influx</c>: where telemetry history goes. An empty <see cref="Url"/> turns the store off.
/// Version 1 writes to <c>/write</c> (InfluxDB 1.x, VictoriaMetrics), version 2 to <c>/api/v2/write</c> (InfluxDB 2.x/3.x).
/// </summary>
public sealed record InfluxOptions
{
    public const string Section = "Influx";

    /// <summary>Base address, e.g. <c>http://127.0.0.1:8086</c>; empty: no history is stored.</summary>
    public string Url { get; init; } = string.Empty;

    /// <summary>1 for the v1 write API, 2 for the v2 one.</summary>
    public int Version { get; init; } = 1;

    /// <summary>v1: the database.</summary>
    public string Database { get; init; } = string.Empty;

    /// <summary>v1: the retention policy; empty: the database's default.</summary>
    public string RetentionPolicy { get; init; } = string.Empty;

    /// <summary>v1: user name (sent with basic authentication); empty: none.</summary>
    public string Username { get; init; } = string.Empty;

    public string Password { get; init; } = string.Empty;

    /// <summary>v2: the organisation (name or id).</summary>
    public string Org { get; init; } = string.Empty;

    /// <summary>v2: the bucket.</summary>
    public string Bucket { get; init; } = string.Empty;

    /// <summary>v2: the API token, sent as <c>Authorization: Token …</c>.</summary>
    public string Token { get; init; } = string.Empty;

    /// <summary>Lines per write request at most.</summary>
    public int BatchSize { get; init; } = 5000;

    /// <summary>How long a partly filled batch waits for more lines before it is written.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A partly filled batch is also written once no line arrived for this long: when ingestion pauses (the end of a
    /// backlog, a quiet minute) its last lines do not wait out <see cref="FlushInterval"/>.
    /// </summary>
    public TimeSpan FlushWhenIdle { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Lines waiting to be written at most; past it the oldest are dropped (and counted).</summary>
    public int MaxBufferedLines { get; init; } = 200_000;

    /// <summary>Request bodies of at least this many bytes are sent gzip-compressed; 0 compresses every body.</summary>
    public int GzipThresholdBytes { get; init; } = 16 * 1024;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A write that takes longer is abandoned and retried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before retrying a failed write; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>At shutdown, how long the lines still buffered may take to be written before they are given up.</summary>
    public TimeSpan ShutdownFlushTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public bool Enabled => !string.IsNullOrWhiteSpace(Url);

    /// <summary>Where the store writes, for logs: the URL and the database or bucket, never credentials.</summary>
    public string Describe() => Version == 2
        ? $"{Url} (v2, org '{Org}', bucket '{Bucket}')"
        : $"{Url} (v1, database '{Database}'{(RetentionPolicy.Length > 0 ? $", retention policy '{RetentionPolicy}'" : "")})";

    /// <summary>Leaves the password and token out, in case options end up in a log.</summary>
    public override string ToString() => Enabled ? $"InfluxOptions {{ {Describe()} }}" : "InfluxOptions { disabled }";

    /// <summary>What is wrong with an enabled configuration, each problem naming its key; empty when it is usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Enabled)
        {
            return problems;
        }

        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            problems.Add($"Url '{Url}' is not an absolute http(s) address");
        }

        switch (Version)
        {
            case 1:
                Require(problems, nameof(Database), Database, "for Version 1");
                break;
            case 2:
                Require(problems, nameof(Org), Org, "for Version 2");
                Require(problems, nameof(Bucket), Bucket, "for Version 2");
                Require(problems, nameof(Token), Token, "for Version 2");
                break;
            default:
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"Version {Version} is not supported (use 1 or 2)"));
                break;
        }

        Positive(problems, nameof(BatchSize), BatchSize);
        Positive(problems, nameof(MaxBufferedLines), MaxBufferedLines);
        Positive(problems, nameof(FlushInterval), FlushInterval);
        Positive(problems, nameof(FlushWhenIdle), FlushWhenIdle);
        Positive(problems, nameof(ConnectTimeout), ConnectTimeout);
        Positive(problems, nameof(RequestTimeout), RequestTimeout);
        Positive(problems, nameof(MinRetryDelay), MinRetryDelay);
        if (MaxRetryDelay < MinRetryDelay)
        {
            problems.Add($"MaxRetryDelay {MaxRetryDelay} is shorter than MinRetryDelay {MinRetryDelay}");
        }

        if (GzipThresholdBytes < 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"GzipThresholdBytes must be 0 or more, got {GzipThresholdBytes}"));
        }

        return problems;
    }

    private static void Require(List<string> problems, string key, string value, string when)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{key} is required {when}");
        }
    }

    private static void Positive(List<string> problems, string key, int value)
    {
        if (value <= 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be positive, got {value}"));
        }
    }

    private static void Positive(List<string> problems, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add($"{key} must be positive, got {value}");
        }
    }
}

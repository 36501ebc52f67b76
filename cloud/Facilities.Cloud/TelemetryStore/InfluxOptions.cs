using System.Globalization;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>
/// Configuration section <c>Influx</c>: where telemetry history goes. An empty <see cref="Url"/> turns the store off.
/// Version 1 writes to <c>/write</c> (InfluxDB 1.x, VictoriaMetrics), version 2 to <c>/api/v2/write</c> (InfluxDB 2.x/3.x).
/// </summary>
internal sealed record InfluxOptions
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

    /// <summary>How long the drainer waits for this instance's new lines to fill a batch before it writes what it has.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A partly filled batch is also written once no line arrived for this long: when ingestion pauses (the end of a
    /// backlog, a quiet minute) its last lines do not wait out <see cref="FlushInterval"/>.
    /// </summary>
    public TimeSpan FlushWhenIdle { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Bytes of line protocol the history outbox (table <c>history_outbox</c>) may hold while InfluxDB does not take them;
    /// past it the oldest rows are dropped (and counted, in lines and bytes). Default 1 GiB.
    /// </summary>
    public long MaxBacklogBytes { get; init; } = 1L << 30;

    /// <summary>How often the backlog is measured (for /metrics and /healthz) and trimmed to <see cref="MaxBacklogBytes"/>.</summary>
    public TimeSpan BacklogCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an idle drainer looks for rows it was not told about (written by another instance, or before a restart).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long rows a drainer claimed stay its own: another instance takes them over only after this, so it must be
    /// longer than a write may take (<see cref="RequestTimeout"/>); a drainer that died holds its rows this long.
    /// </summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Request bodies of at least this many bytes are sent gzip-compressed; 0 compresses every body.</summary>
    public int GzipThresholdBytes { get; init; } = 16 * 1024;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A write that takes longer is abandoned and retried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before retrying a failed write; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

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
        if (MaxBacklogBytes <= 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxBacklogBytes must be positive, got {MaxBacklogBytes}"));
        }

        Positive(problems, nameof(PollInterval), PollInterval);
        Positive(problems, nameof(BacklogCheckInterval), BacklogCheckInterval);
        if (LeaseTime <= RequestTimeout)
        {
            problems.Add($"LeaseTime {LeaseTime} must be longer than RequestTimeout {RequestTimeout}, or a slow write would be taken over and sent twice at once");
        }

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

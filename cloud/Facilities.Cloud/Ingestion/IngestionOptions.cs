namespace Facilities.Cloud.Ingestion;

/// <summary>
/// Configuration section <c>Ingestion</c>: what the cloud accepts from a gateway (docs/mqtt-contract.md § Limits) and
/// when ingestion counts as stalled. The defaults lie far above what real gateways send (the largest shipped profile,
/// a 16-port charger shed, has 170 points with names up to 30 characters, about 12 KiB of JSON), so only a broken or
/// hostile publisher meets them.
/// </summary>
public sealed class IngestionOptions
{
    /// <summary>The defaults, for code that validates without configuration (tests, tools).</summary>
    public static readonly IngestionOptions Default = new();

    /// <summary>
    /// The highest sequence number accepted: 2^53 − 1, the largest integer every JSON parser reads exactly. A gateway
    /// sending a thousand messages a second reaches it after 285,000 years.
    /// </summary>
    public const long MaxSeq = (1L << 53) - 1;

    /// <summary>Largest payload read, in bytes; a larger one is refused before it is parsed.</summary>
    public int MaxPayloadBytes { get; init; } = 128 * 1024;

    /// <summary>Most points (values, or labels) in one telemetry message.</summary>
    public int MaxPoints { get; init; } = 1000;

    /// <summary>Longest point name, in characters.</summary>
    public int MaxPointNameLength { get; init; } = 128;

    /// <summary>
    /// How far a sample time (<c>ts</c>) may lie ahead of the time the message arrived: clocks drift, but a reading from
    /// the future would hold the device's latest values (which only move forward in time) until that time came.
    /// </summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How old a telemetry message, event or command result may be when it arrives. A gateway's outbox has no age limit
    /// of its own, so this is the cloud's: the same 7 days the cloud remembers handled sequence numbers for
    /// (<c>Retention:SeenMessages</c>), so nothing older than that memory can be handled twice.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How old a retained message (gateway status, device state) may be. The broker hands the last one to every new
    /// subscription however old it is (a device online for months sent its "online" months ago), so this bound only
    /// keeps out dates no real gateway can have written.
    /// </summary>
    public TimeSpan MaxRetainedAge { get; init; } = TimeSpan.FromDays(3650);

    /// <summary>
    /// How far a sequence number may jump past the highest one handled from its gateway. A gateway's numbers have
    /// holes only where its outbox overflowed; a billion lost messages is more than a week at 1,600 a second. A larger
    /// jump is refused, and a gap between two runs of handled numbers counts at most this many missing messages, so a
    /// single message cannot fake billions of lost ones.
    /// </summary>
    public long MaxSeqJump { get; init; } = 1_000_000_000;

    /// <summary>
    /// Ingestion is stalled — <c>/healthz</c> answers 503 — when a batch has waited this long without being stored
    /// (the database refuses or is down, or the consumer is stuck).
    /// </summary>
    public TimeSpan StallWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Start-up check; returns the problems found, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        List<string> errors = [];
        void Positive<T>(string name, T value, T zero) where T : IComparable<T>
        {
            if (value.CompareTo(zero) <= 0)
            {
                errors.Add($"'{name}' must be positive; got {value}");
            }
        }

        Positive(nameof(MaxPayloadBytes), MaxPayloadBytes, 0);
        Positive(nameof(MaxPoints), MaxPoints, 0);
        Positive(nameof(MaxPointNameLength), MaxPointNameLength, 0);
        Positive(nameof(MaxClockSkew), MaxClockSkew, TimeSpan.Zero);
        Positive(nameof(MaxAge), MaxAge, TimeSpan.Zero);
        Positive(nameof(MaxRetainedAge), MaxRetainedAge, TimeSpan.Zero);
        Positive(nameof(MaxSeqJump), MaxSeqJump, 0L);
        Positive(nameof(StallWindow), StallWindow, TimeSpan.Zero);
        return errors;
    }
}

namespace Facilities.Cloud.Ingestion;

/// <summary>Counters of what ingestion did, served at /metrics and in /api/ingestion.</summary>
public sealed class IngestMetrics
{
    private long _accepted;
    private long _duplicates;
    private long _deadLettered;
    private long _ignored;
    private readonly long[] _deadLetteredBy = new long[Enum.GetValues<RejectionCause>().Length];

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Dead-lettered messages by what was wrong with them, every cause listed (zero when none).</summary>
    public IEnumerable<(RejectionCause Cause, long Count)> DeadLetteredByCause =>
        Enum.GetValues<RejectionCause>().Select(c => (c, Interlocked.Read(ref _deadLetteredBy[(int)c])));

    public void Count(IngestOutcome outcome, RejectionCause? cause = null)
    {
        switch (outcome)
        {
            case IngestOutcome.Accepted: Interlocked.Increment(ref _accepted); break;
            case IngestOutcome.Duplicate: Interlocked.Increment(ref _duplicates); break;
            case IngestOutcome.DeadLettered:
                Interlocked.Increment(ref _deadLettered);
                Interlocked.Increment(ref _deadLetteredBy[(int)(cause ?? RejectionCause.Processing)]);
                break;
            default: Interlocked.Increment(ref _ignored); break;
        }
    }
}

namespace Facilities.Cloud.Ingestion;

/// <summary>Counters of what ingestion did, served at /metrics and in /api/ingestion.</summary>
public sealed class IngestMetrics
{
    private long _accepted;
    private long _duplicates;
    private long _deadLettered;
    private long _ignored;

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public long Ignored => Interlocked.Read(ref _ignored);

    public void Count(IngestOutcome outcome)
    {
        switch (outcome)
        {
            case IngestOutcome.Accepted: Interlocked.Increment(ref _accepted); break;
            case IngestOutcome.Duplicate: Interlocked.Increment(ref _duplicates); break;
            case IngestOutcome.DeadLettered: Interlocked.Increment(ref _deadLettered); break;
            default: Interlocked.Increment(ref _ignored); break;
        }
    }
}

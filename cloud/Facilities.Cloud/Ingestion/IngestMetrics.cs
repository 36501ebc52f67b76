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

    private long _batches;
    private long _batchedMessages;
    private long _waitingTicks;
    private long _storingTicks;
    private long _acknowledgingTicks;

    /// <summary>Batches the consumer handled (one database transaction each, retries not counted) and the messages in them.</summary>
    public (long Batches, long Messages) Batches => (Interlocked.Read(ref _batches), Interlocked.Read(ref _batchedMessages));

    /// <summary>
    /// Where the consumer's time went since start-up: waiting for the next batch (messages to arrive and be validated),
    /// storing batches (their transactions, retries included) and waiting for the previous batch's acknowledgements to
    /// leave. The three add up to the consumer's running time, so the largest says what bounds ingestion.
    /// </summary>
    public ConsumerTimes Consumer => new(
        TimeSpan.FromTicks(Interlocked.Read(ref _waitingTicks)), TimeSpan.FromTicks(Interlocked.Read(ref _storingTicks)), TimeSpan.FromTicks(Interlocked.Read(ref _acknowledgingTicks)));

    internal void Waited(TimeSpan time) => Interlocked.Add(ref _waitingTicks, time.Ticks);

    internal void Stored(int messages, TimeSpan time)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _batchedMessages, messages);
        Interlocked.Add(ref _storingTicks, time.Ticks);
    }

    internal void Acknowledged(TimeSpan time) => Interlocked.Add(ref _acknowledgingTicks, time.Ticks);

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

/// <summary>The consumer's time since start-up by what it waited for (<see cref="IngestMetrics.Consumer"/>).</summary>
public sealed record ConsumerTimes(TimeSpan Waiting, TimeSpan Storing, TimeSpan Acknowledging);

using System.Buffers;
using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>
/// Records the telemetry history of every ingest batch in the history outbox, inside the batch's own transaction: one
/// row holding the line protocol of all the batch's new messages. So a message acknowledged to the broker has its lines
/// stored durably, whatever becomes of InfluxDB or of this process; <see cref="HistoryDrainer"/> sends them on.
/// Registered only when InfluxDB is configured.
/// </summary>
internal sealed class HistoryRecorder(HistoryOutboxStore outbox) : IMessageHandler
{
    /// <summary>
    /// Formats the batch's lines before its transaction, as UTF-8 (what the outbox stores and InfluxDB reads), each
    /// message's lines one stretch of the body: the transaction only inserts them (formatting was the largest part of
    /// this handler's time inside the transaction, which the consumer runs one batch after another).
    /// </summary>
    public object? Prepare(IReadOnlyList<Envelope> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var body = Utf8Lines.Rent();
        var stretches = new Dictionary<Envelope, (int Start, int Length, int Lines)>(batch.Count, ReferenceEqualityComparer.Instance);
        var lines = 0;
        foreach (var envelope in batch)
        {
            var start = body.Length;
            var added = body.Add(envelope);
            stretches[envelope] = (start, body.Length - start, added);
            lines += added;
        }

        return new PreparedLines(body.Finish(), lines, stretches);
    }

    /// <summary>Inserts the batch's lines at its start: they depend on nothing the other handlers write.</summary>
    public async ValueTask BeginBatchAsync(IReadOnlyList<Envelope> batch, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        var (body, lines) = context.Find<PreparedLines>() is { } prepared ? prepared.Of(batch) : Format(batch);
        if (lines == 0)
        {
            return;
        }

        await HistoryOutboxStore.AppendAsync(context.Connection, context.Transaction, body, lines, context.Time.GetUtcNow(), cancellationToken);
        context.AfterCommit(() => outbox.Announce(lines));
    }

    public ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>The messages' points as line protocol in UTF-8, one line each ending in <c>\n</c>, and the number of lines.</summary>
    public static (byte[] Body, int Lines) Format(IEnumerable<Envelope> envelopes)
    {
        ArgumentNullException.ThrowIfNull(envelopes);
        var body = Utf8Lines.Rent();
        var lines = 0;
        foreach (var envelope in envelopes)
        {
            lines += body.Add(envelope);
        }

        return (body.Finish(), lines);
    }

    /// <summary>
    /// A body of lines being written in UTF-8: each message's lines are written straight onto the end of a byte buffer
    /// (<see cref="LineProtocol.Write"/>). One buffer is kept for the next body (<see cref="Rent"/>, <see cref="Finish"/>),
    /// so a batch costs one array, its body.
    /// </summary>
    private sealed class Utf8Lines
    {
        private static Utf8Lines? s_spare;

        private readonly ArrayBufferWriter<byte> _bytes = new(64 * 1024);

        /// <summary>The kept buffer, or a new one while another body is being written.</summary>
        public static Utf8Lines Rent() => Interlocked.Exchange(ref s_spare, null) ?? new Utf8Lines();

        public int Length => _bytes.WrittenCount;

        /// <summary>Appends the message's lines, each ending in <c>\n</c>; how many there were.</summary>
        public int Add(Envelope envelope) => TelemetrySchema.WriteLines(_bytes, envelope);

        /// <summary>Appends lines already written (a prepared message's stretch of a body).</summary>
        public void Add(ReadOnlySpan<byte> lines) => _bytes.Write(lines);

        /// <summary>The body written; the buffer is kept for the next one.</summary>
        public byte[] Finish()
        {
            var body = _bytes.WrittenSpan.ToArray();
            _bytes.ResetWrittenCount();
            s_spare = this;
            return body;
        }
    }

    /// <summary>A batch's lines formatted before its transaction, with each message's stretch of them (in bytes).</summary>
    private sealed record PreparedLines(byte[] Body, int Lines, Dictionary<Envelope, (int Start, int Length, int Lines)> Stretches)
    {
        /// <summary>
        /// The lines of the messages the transaction accepted: all of them as prepared when it accepted every one (the
        /// order of lines does not matter to InfluxDB), else the stretches of those it accepted.
        /// </summary>
        public (byte[] Body, int Lines) Of(IReadOnlyList<Envelope> accepted)
        {
            if (accepted.Count == Stretches.Count && accepted.All(Stretches.ContainsKey))
            {
                return (Body, Lines);
            }

            var body = Utf8Lines.Rent();
            var lines = 0;
            foreach (var envelope in accepted)
            {
                if (Stretches.TryGetValue(envelope, out var stretch))
                {
                    body.Add(Body.AsSpan(stretch.Start, stretch.Length));
                    lines += stretch.Lines;
                }
                else
                {
                    lines += body.Add(envelope);
                }
            }

            return (body.Finish(), lines);
        }
    }
}

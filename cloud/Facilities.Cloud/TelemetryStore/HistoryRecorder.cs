using System.Text;
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
    /// Formats the batch's lines before its transaction, each message's lines one stretch of the body: the transaction
    /// only inserts them (formatting was the largest part of this handler's time inside the transaction, which the
    /// consumer runs one batch after another).
    /// </summary>
    public object? Prepare(IReadOnlyList<Envelope> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var body = new StringBuilder();
        var stretches = new Dictionary<Envelope, (int Start, int Length, int Lines)>(batch.Count, ReferenceEqualityComparer.Instance);
        var lines = 0;
        foreach (var envelope in batch)
        {
            var (start, before) = (body.Length, lines);
            lines += Append(body, envelope);
            stretches[envelope] = (start, body.Length - start, lines - before);
        }

        return new PreparedLines(body.ToString(), lines, stretches);
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

    /// <summary>The messages' points as line protocol, one line each ending in <c>\n</c>, and the number of lines.</summary>
    public static (string Body, int Lines) Format(IEnumerable<Envelope> envelopes)
    {
        ArgumentNullException.ThrowIfNull(envelopes);
        var body = new StringBuilder();
        var lines = 0;
        foreach (var envelope in envelopes)
        {
            lines += Append(body, envelope);
        }

        return (body.ToString(), lines);
    }

    private static int Append(StringBuilder body, Envelope envelope)
    {
        var lines = 0;
        foreach (var point in TelemetrySchema.Points(envelope))
        {
            if (LineProtocol.Append(body, point))
            {
                body.Append('\n');
                lines++;
            }
        }

        return lines;
    }

    /// <summary>A batch's lines formatted before its transaction, with each message's stretch of them.</summary>
    private sealed record PreparedLines(string Body, int Lines, Dictionary<Envelope, (int Start, int Length, int Lines)> Stretches)
    {
        /// <summary>
        /// The lines of the messages the transaction accepted: all of them as prepared when it accepted every one (the
        /// order of lines does not matter to InfluxDB), else the stretches of those it accepted.
        /// </summary>
        public (string Body, int Lines) Of(IReadOnlyList<Envelope> accepted)
        {
            if (accepted.Count == Stretches.Count && accepted.All(Stretches.ContainsKey))
            {
                return (Body, Lines);
            }

            var body = new StringBuilder();
            var lines = 0;
            foreach (var envelope in accepted)
            {
                if (Stretches.TryGetValue(envelope, out var stretch))
                {
                    body.Append(Body, stretch.Start, stretch.Length);
                    lines += stretch.Lines;
                }
                else
                {
                    lines += Append(body, envelope);
                }
            }

            return (body.ToString(), lines);
        }
    }
}

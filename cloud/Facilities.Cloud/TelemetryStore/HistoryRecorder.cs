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
    /// <summary>Formats and inserts the batch's lines at its start: they depend on nothing the other handlers write.</summary>
    public async ValueTask BeginBatchAsync(IReadOnlyList<Envelope> batch, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        var (body, lines) = Format(batch);
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
            foreach (var point in TelemetrySchema.Points(envelope))
            {
                if (LineProtocol.Append(body, point))
                {
                    body.Append('\n');
                    lines++;
                }
            }
        }

        return (body.ToString(), lines);
    }
}

using System.Data.Common;
using Facilities.Telemetry;
using Facilities.Cloud.Domain.Sequences;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Ingestion;

/// <summary>A message as it came off the broker.</summary>
public sealed record RawMessage(string Topic, ReadOnlyMemory<byte> Payload);

/// <summary>A batch of messages each with its validation result, ready for <see cref="IngestPipeline.ProcessAsync(ValidatedBatch, CancellationToken)"/>.</summary>
public sealed class ValidatedBatch
{
    internal ValidatedBatch((RawMessage Raw, (Envelope? Envelope, Rejection? Rejection) Result)[] messages, object[] prepared)
    {
        Messages = messages;
        Prepared = prepared;
    }

    public int Count => Messages.Length;

    internal (RawMessage Raw, (Envelope? Envelope, Rejection? Rejection) Result)[] Messages { get; }

    /// <summary>What the handlers prepared outside the transaction (<see cref="IMessageHandler.Prepare"/>).</summary>
    internal object[] Prepared { get; }
}

public enum IngestOutcome
{
    /// <summary>New and handled; its effects are committed.</summary>
    Accepted,

    /// <summary>A redelivery of a message already handled (same gateway and sequence number): no second effect.</summary>
    Duplicate,

    /// <summary>Refused and kept in the dead-letter table with the reason.</summary>
    DeadLettered,

    /// <summary>Not for the cloud (its own commands to gateways).</summary>
    Ignored,
}

/// <summary>
/// Validates, de-duplicates and handles messages, a batch per database transaction: the record that a gateway's
/// sequence number was seen commits together with the handlers' effects, so a message acknowledged to the broker has
/// had its effect exactly once. A batch that fails for anything but a transient database error is retried message by
/// message (a batch of one too), so one poison message is parked in the dead-letter table with the error and the
/// others go through.
/// </summary>
public sealed partial class IngestPipeline(
    CloudDatabase database,
    IEnumerable<IMessageHandler> handlers,
    IngestMetrics metrics,
    TimeProvider time,
    ILogger<IngestPipeline> logger,
    IngestionOptions? options = null)
{
    private readonly IMessageHandler[] _handlers = [.. handlers];
    private readonly IngestionOptions _options = options ?? IngestionOptions.Default;
    private readonly SeenRunCache _seen = new();

    public Task<IngestOutcome[]> ProcessAsync(IReadOnlyList<RawMessage> batch, CancellationToken cancellationToken) =>
        ProcessAsync(Validate(batch), cancellationToken);

    /// <summary>
    /// The pure part of handling a batch (topic, JSON, contract; then what the handlers prepare from the valid messages,
    /// <see cref="IMessageHandler.Prepare"/>), stamped with the time of arrival: the consumer does it for the next batch
    /// while the previous batch's transaction runs.
    /// </summary>
    public ValidatedBatch Validate(IReadOnlyList<RawMessage> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var now = time.GetUtcNow();
        var validated = new (RawMessage, (Envelope?, Rejection?))[batch.Count];
        var envelopes = new List<Envelope>(batch.Count);
        for (var i = 0; i < validated.Length; i++)
        {
            validated[i] = (batch[i], MessageValidator.Validate(batch[i].Topic, batch[i].Payload.Span, now, _options));
            if (validated[i].Item2.Item1 is { } envelope)
            {
                envelopes.Add(envelope);
            }
        }

        var prepared = new List<object>();
        if (envelopes.Count > 0)
        {
            foreach (var handler in _handlers)
            {
                if (handler.Prepare(envelopes) is { } state)
                {
                    prepared.Add(state);
                }
            }
        }

        return new ValidatedBatch(validated, [.. prepared]);
    }

    public async Task<IngestOutcome[]> ProcessAsync(ValidatedBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var validated = batch.Messages;
        var outcomes = new IngestOutcome[validated.Length];
        var causes = new RejectionCause?[validated.Length];
        try
        {
            await ProcessInTransactionAsync(batch, 0, validated.Length, outcomes, causes, cancellationToken);
        }
        catch (Exception error) when ((validated.Length > 1 || !IsTransient(error)) && !cancellationToken.IsCancellationRequested)
        {
            // A batch of one too, unless the error is transient: re-thrown, it would be retried by the consumer for ever,
            // and with it every message behind it, from every gateway.
            LogBatchFailed(logger, validated.Length, error.Message);
            for (var i = 0; i < validated.Length; i++)
            {
                await ProcessOneAsync(batch, i, outcomes, causes, cancellationToken);
            }
        }

        for (var i = 0; i < validated.Length; i++)
        {
            metrics.Count(outcomes[i], causes[i]);
        }

        return outcomes;
    }

    private async Task ProcessOneAsync(ValidatedBatch batch, int index, IngestOutcome[] outcomes, RejectionCause?[] causes, CancellationToken cancellationToken)
    {
        try
        {
            await ProcessInTransactionAsync(batch, index, 1, outcomes, causes, cancellationToken);
        }
        catch (Exception error) when (!IsTransient(error) && !cancellationToken.IsCancellationRequested)
        {
            // Only a message the database refuses for what it is gets parked. A deadlock, a busy database or a lost
            // connection says nothing about the message: that error goes up, the batch stays unacknowledged and is
            // tried again (what committed meanwhile is recognised by its sequence number).
            var raw = batch.Messages[index].Raw;
            LogMessageFailed(logger, raw.Topic, error);
            await using var connection = await database.OpenAsync(cancellationToken);
            await DeadLetterAsync(connection, null, raw, $"processing failed: {error.GetType().Name}: {error.Message}", cancellationToken);
            outcomes[index] = IngestOutcome.DeadLettered;
            causes[index] = RejectionCause.Processing;
        }
    }

    private async Task ProcessInTransactionAsync(
        ValidatedBatch batch, int start, int count, IngestOutcome[] outcomes, RejectionCause?[] causes, CancellationToken cancellationToken)
    {
        var validated = batch.Messages;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var context = new IngestContext(database, connection, transaction, time);
        foreach (var prepared in batch.Prepared)
        {
            context.KeepPrepared(prepared);
        }

        var (fresh, refused) = await MarkSeenAsync(context, validated.Skip(start).Take(count).Select(v => v.Result.Envelope).OfType<Envelope>(), _options.MaxSeqJump, cancellationToken);
        var accepted = new List<Envelope>(count);
        for (var i = start; i < start + count; i++)
        {
            var (raw, (envelope, rejection)) = validated[i];
            if (rejection is null && envelope is not null && refused?.GetValueOrDefault((envelope.Site, envelope.Gateway, envelope.Message.Seq)) is { } jump)
            {
                rejection = jump;
            }

            if (rejection is not null)
            {
                LogRejected(logger, raw.Topic, rejection.Reason);
                await DeadLetterAsync(connection, transaction, raw, rejection.Reason, cancellationToken);
                outcomes[i] = IngestOutcome.DeadLettered;
                causes[i] = rejection.Cause;
            }
            else if (envelope is null)
            {
                outcomes[i] = IngestOutcome.Ignored;
            }
            else if (envelope.Message is not GatewayStatusMessage { Seq: 0 } && !fresh.Remove((envelope.Site, envelope.Gateway, envelope.Message.Seq)))
            {
                outcomes[i] = IngestOutcome.Duplicate;
            }
            else
            {
                accepted.Add(envelope);
                outcomes[i] = IngestOutcome.Accepted;
            }
        }

        if (accepted.Count > 0)
        {
            accepted = GatewayOrder.Sort(accepted);
            foreach (var handler in _handlers)
            {
                await handler.BeginBatchAsync(accepted, context, cancellationToken);
            }

            foreach (var envelope in accepted)
            {
                foreach (var handler in _handlers)
                {
                    await handler.HandleAsync(envelope, context, cancellationToken);
                }
            }

            foreach (var handler in _handlers)
            {
                await handler.EndBatchAsync(context, cancellationToken);
            }
        }

        await write.CommitAsync(cancellationToken);
        context.Committed();
    }

    /// <summary>
    /// Records the batch's (site, gateway, seq) in <c>seen_ranges</c> and returns the ones that were new: a redelivery — to
    /// this instance or to another one at the same moment — finds its number inside a stored run and has no second
    /// effect, and a number twice in one batch is new only once. A last will (seq 0) is published by the broker and is
    /// always new. Per gateway, in key order: the gateway's turn is taken and its stream version moved up
    /// (<see cref="SeenRangeStore.AdvanceAsync"/>, kept in <see cref="IngestContext.Streams"/> for the handlers), its runs
    /// come from this instance's copy when that copy is current (<see cref="SeenRunCache"/>), else from the database, are
    /// merged with the new numbers, and only what changed is written back: settled runs as rows, the runs still filling
    /// in as the gateway's frontier (<see cref="SeenFrontier"/>).
    /// A number more than <paramref name="maxJump"/> past the highest one handled from its gateway (or, for a gateway
    /// not heard before, past the batch's lowest) is refused and not recorded: a gateway loses at most what its outbox
    /// dropped, and one forged number must not make the gap report count billions of missing messages.
    /// </summary>
    private async Task<(HashSet<(string Site, string Gateway, long Seq)> Fresh, Dictionary<(string Site, string Gateway, long Seq), Rejection>? Refused)> MarkSeenAsync(
        IngestContext context, IEnumerable<Envelope> envelopes, long maxJump, CancellationToken cancellationToken)
    {
        var fresh = new HashSet<(string, string, long)>();
        Dictionary<(string, string, long), Rejection>? refused = null;
        var nowMs = context.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var gateways = envelopes.Where(e => e.Message is not GatewayStatusMessage { Seq: 0 })
            .GroupBy(e => (e.Site, e.Gateway))
            .OrderBy(g => g.Key.Site, StringComparer.Ordinal).ThenBy(g => g.Key.Gateway, StringComparer.Ordinal);
        foreach (var gateway in gateways)
        {
            var (site, name) = gateway.Key;
            var version = await SeenRangeStore.AdvanceAsync(context, site, name, cancellationToken);
            context.Streams[(site, name)] = version;
            var (rows, frontier) = _seen.Find(site, name, version.Before) ?? await SeenRangeStore.ReadAsync(context, site, name, cancellationToken);
            var all = SeenFrontier.Join(rows, frontier);
            var copy = (Rows: rows, Frontier: frontier); // what the copy becomes once committed: the same runs at the new version, or the merged ones
            context.AfterCommit(() => _seen.Committed(site, name, version.After, copy.Rows, copy.Frontier));

            var arrived = gateway.Select(e => (e.Message.Seq, e.ReceivedAt.ToUnixTimeMilliseconds())).ToList();
            var highest = all.Length > 0 ? all[^1].LastSeq : (long?)null;
            if (SeenRanges.Implausible(arrived.Select(a => a.Seq), highest, maxJump) is { Count: > 0 } jumps)
            {
                refused ??= [];
                foreach (var seq in jumps)
                {
                    var from = highest is { } h ? $"the highest number handled from gateway '{name}', {h}" : $"the lowest number of gateway '{name}' in this batch";
                    refused[(site, name, seq)] = new Rejection(
                        $"field 'seq' {seq} jumps more than {maxJump} past {from} (Ingestion:MaxSeqJump)", RejectionCause.Sequence);
                }

                arrived.RemoveAll(a => jumps.Contains(a.Seq));
                if (arrived.Count == 0)
                {
                    continue;
                }
            }

            var stored = SeenRanges.Touching(all, arrived.Min(a => a.Seq) - 1, arrived.Max(a => a.Seq) + 1);
            var (added, merged) = SeenRanges.Add(stored, arrived);
            if (added.Count == 0)
            {
                continue;
            }

            foreach (var seq in added)
            {
                fresh.Add((site, name, seq));
            }

            // The runs with the batch's numbers in, split again into settled rows and the frontier: only the rows that changed
            // are written, and the frontier as one value when it changed.
            var (removedRuns, addedRuns) = SeenRanges.Changes(stored, merged);
            var (newRows, newFrontier) = SeenFrontier.Split(SeenRanges.Apply(all, removedRuns, addedRuns), nowMs);
            var (removedRows, addedRows) = SeenRanges.Changes(rows, newRows);
            await SeenRangeStore.ReplaceAsync(context, site, name, removedRows, addedRows, cancellationToken);
            if (!newFrontier.AsSpan().SequenceEqual(frontier))
            {
                await SeenRangeStore.WriteFrontierAsync(context, site, name, newFrontier, cancellationToken);
            }

            copy = (newRows, newFrontier);
        }

        return (fresh, refused);
    }

    /// <summary>
    /// An error about the database rather than the message: a deadlock, a busy or locked database, a lost connection, a
    /// full disk, a timeout. Retrying later may succeed, and parking the message would lose it for nothing.
    /// </summary>
    private static bool IsTransient(Exception error) => error switch
    {
        OperationCanceledException or TimeoutException or IOException or System.Net.Sockets.SocketException => true,
        DbException { IsTransient: true } => true,
        // SQLite's result codes for a database that cannot be written now: busy, locked, out of memory, read-only,
        // I/O error, full, cannot open, protocol (https://www.sqlite.org/rescode.html).
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6 or 7 or 8 or 10 or 13 or 14 or 15,
        DbException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };

    private Task<int> DeadLetterAsync(DbConnection connection, DbTransaction? transaction, RawMessage raw, string reason, CancellationToken cancellationToken) =>
        DeadLetters.InsertAsync(connection, transaction, time.GetUtcNow(), raw.Topic, reason, raw.Payload.ToArray(), cancellationToken);

    [LoggerMessage(EventId = 412, Level = LogLevel.Warning, Message = "Refused message on {Topic}: {Reason} (kept in dead_letters)")]
    private static partial void LogRejected(ILogger logger, string topic, string reason);

    [LoggerMessage(EventId = 413, Level = LogLevel.Warning, Message = "A batch of {Count} messages failed ({Error}); handling them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, string error);

    [LoggerMessage(EventId = 414, Level = LogLevel.Error, Message = "Handling the message on {Topic} failed; kept in dead_letters")]
    private static partial void LogMessageFailed(ILogger logger, string topic, Exception error);
}

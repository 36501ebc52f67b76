using Facilities.Telemetry;

namespace Facilities.Cloud.Ingestion;

/// <summary>A validated gateway message with the address its topic gave it.</summary>
public sealed record Envelope(TopicAddress Address, IGatewayMessage Message, DateTimeOffset ReceivedAt)
{
    public string Site => Address.Site;

    public string Gateway => Address.Gateway;

    /// <summary>The device the message is about (null for gateway status).</summary>
    public string? Device => Address.Device;
}

/// <summary>Why a message was refused; the reason is stored with it in the dead-letter table, the cause counted at /metrics.</summary>
public sealed record Rejection(string Reason, RejectionCause Cause = RejectionCause.Contract);

/// <summary>What kind of fault a refused message has (the <c>reason</c> label of the dead-letter counter at /metrics).</summary>
public enum RejectionCause
{
    /// <summary>Not a facilities/v1 gateway topic.</summary>
    Topic,

    /// <summary>Not JSON of the type the topic names.</summary>
    Json,

    /// <summary>Unknown schema version, a missing field, or a device or gateway other than the topic's.</summary>
    Contract,

    /// <summary>A number that is not finite (NaN, Infinity, or too large for a double).</summary>
    NonFinite,

    /// <summary>A sample time outside the accepted window around the time of arrival.</summary>
    Timestamp,

    /// <summary>Over a size limit: payload bytes, points, point-name length.</summary>
    Limit,

    /// <summary>A sequence number out of range or jumping implausibly far.</summary>
    Sequence,

    /// <summary>Valid, but storing it failed for a reason of its own.</summary>
    Processing,
}

/// <summary>
/// Handles a message inside the ingestion transaction: its database effects commit together with the record that the
/// message was seen, so a crash between the two can neither lose the effect nor apply it twice. A transaction holds a
/// batch of messages: every handler's <see cref="BeginBatchAsync"/> runs first (in registration order) with all the
/// batch's new messages, then <see cref="HandleAsync"/> per message in arrival order, then every
/// <see cref="EndBatchAsync"/>, then the commit. A handler that reads or writes per batch instead of per message sends a
/// few statements per transaction instead of a few per message.
/// </summary>
public interface IMessageHandler
{
    /// <summary>
    /// The pure part of a batch's work, done before its transaction — on the other core, while the previous batch's
    /// transaction runs — and handed to the transaction through <see cref="IngestContext.Find{T}"/> (keyed by the type of
    /// what it returns). It sees every valid message of the batch, also those the transaction will find to be
    /// redeliveries. Null: nothing to prepare.
    /// </summary>
    object? Prepare(IReadOnlyList<Envelope> batch) => null;

    /// <summary>Before the batch's messages: read what they will need, in one query per table.</summary>
    ValueTask BeginBatchAsync(IReadOnlyList<Envelope> batch, IngestContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken);

    /// <summary>After the batch's messages, before the commit: write what was gathered, in one statement per table.</summary>
    ValueTask EndBatchAsync(IngestContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

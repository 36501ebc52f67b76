namespace Facilities.Cloud.Outbox;

/// <summary>What the receiving end said. <see cref="Detail"/> is recorded (status, error code and message).</summary>
internal sealed record DeliveryResult(bool Delivered, string Detail)
{
    public static DeliveryResult Ok(string detail) => new(true, detail);

    public static DeliveryResult Failed(string detail) => new(false, detail);
}

/// <summary>
/// A row claimed for one attempt. The mechanism reads only <see cref="Key"/> and <see cref="Attempt"/>; every other
/// property is the kind's payload, filled from the columns its <see cref="OutboxTable.Payload"/> names.
/// </summary>
internal interface IOutboxMessage
{
    long Key { get; }

    /// <summary>The attempt this claim made (1 for the first).</summary>
    long Attempt { get; }
}

/// <summary>What became of one attempt.</summary>
internal enum OutboxOutcome
{
    Delivered,
    Retrying,
    Failed,
}

/// <summary>
/// One kind of outbox (notifications, the work-order webhook, …): how a claimed message is sent, and how what
/// happened is logged, under the kind's own event ids.
/// </summary>
internal interface IOutboxDelivery<in TMessage>
    where TMessage : IOutboxMessage
{
    /// <summary>
    /// Sends one message. A refusal by the other end comes back as a failed result; an exception, or no answer within
    /// <see cref="OutboxPolicy.SendTimeout"/>, is recorded as a failed attempt by the dispatcher.
    /// </summary>
    Task<DeliveryResult> SendAsync(TMessage message, CancellationToken cancellationToken);

    /// <summary>An attempt was recorded: delivered, queued again at <paramref name="next"/>, or failed for good.</summary>
    void OnRecorded(TMessage message, DeliveryResult result, OutboxOutcome outcome, DateTimeOffset next);

    /// <summary>Rows failed because their last allowed attempt never reported back (the sender stopped mid-send).</summary>
    void OnAbandoned(int count);

    /// <summary>A whole pass failed (database unreachable); the next pass tries again.</summary>
    void OnPassFailed(Exception error);
}

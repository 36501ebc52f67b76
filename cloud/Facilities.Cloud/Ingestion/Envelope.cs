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

/// <summary>Why a message was refused; the reason is stored with it in the dead-letter table.</summary>
public sealed record Rejection(string Reason);

/// <summary>
/// Handles a message inside the ingestion transaction: its database effects commit together with the record that the
/// message was seen, so a crash between the two can neither lose the effect nor apply it twice.
/// </summary>
public interface IMessageHandler
{
    ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken);
}

/// <summary>
/// Receives each new (not duplicate) message after its transaction committed: for stores outside the database
/// (InfluxDB), which must be idempotent and must not block.
/// </summary>
public interface ICommittedMessageSink
{
    void Accept(Envelope envelope);
}

namespace Facilities.Gateway.Polling;

/// <summary>How urgent a message is when space runs out: telemetry is dropped before events and states.</summary>
public enum MessageClass
{
    Telemetry,
    Event,
}

/// <summary>Where the pollers put what they publish (the outbox). The payload is built once the sequence number is known.</summary>
public interface IMessageSink
{
    void Enqueue(string topic, bool retain, MessageClass messageClass, Func<long, byte[]> payload);
}

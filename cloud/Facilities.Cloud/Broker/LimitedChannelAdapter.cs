using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Broker;

/// <summary>
/// MQTTnet's packet adapter for one connection with the broker's limits on top: CONNACK tells MQTT 5 clients the
/// maximum packet size and that topic aliases are not accepted (MQTTnet announces 65,535 aliases and keeps every alias'
/// topic, up to 64 KiB each, for the life of the connection), a PUBLISH using an alias anyway is a protocol violation,
/// and protocol violations are counted. MQTTnet closes the connection on each.
/// With a <see cref="AcknowledgementHold"/> (the cloud's consumer runs in this process), the acknowledgement of each
/// QoS 1 or 2 PUBLISH is held back, in order, until the consumer has stored the message; CONNACK then announces
/// <see cref="BrokerLimits.ReceiveMaximum"/> and a client with more publishes unacknowledged breaks the protocol. The
/// hold is here rather than in an MQTTnet event because MQTTnet awaits those on the connection's only receive or send
/// loop: waiting there for a database commit would take one message per commit, or stop keep-alive answers.
/// </summary>
internal sealed partial class LimitedChannelAdapter(MqttChannelAdapter inner, BrokerLimits limits, BrokerCounters counters, AcknowledgementHold? hold, ILogger logger) : IMqttChannelAdapter
{
    /// <summary>Publishes received and not yet answered by MQTTnet, by packet identifier.</summary>
    private readonly Dictionary<ushort, HeldPublish> _received = [];

    /// <summary>Acknowledgements MQTTnet has sent that wait, in order, for their messages to be stored.</summary>
    private readonly Queue<(MqttPacket Acknowledgement, HeldPublish Held)> _held = new();

    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _closed = new();
    private int _disposed;

    public long BytesReceived => inner.BytesReceived;

    public long BytesSent => inner.BytesSent;

    public X509Certificate2 ClientCertificate => inner.ClientCertificate;

    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

    public EndPoint LocalEndPoint => inner.LocalEndPoint;

    public bool IsSecureConnection => inner.IsSecureConnection;

    public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        try
        {
            var packet = await inner.ReceivePacketAsync(cancellationToken);
            if (packet is MqttPublishPacket { TopicAlias: > 0 })
            {
                throw new MqttProtocolViolationException("PUBLISH with a topic alias; the broker's CONNACK allowed none (MQTT 5, 3.3.2.3.4)");
            }

            if (hold is not null && packet is MqttPublishPacket { QualityOfServiceLevel: > MqttQualityOfServiceLevel.AtMostOnce } publish)
            {
                Hold(publish);
            }

            return packet;
        }
        catch (MqttProtocolViolationException violation)
        {
            counters.ProtocolViolation();
            LogProtocolViolation(logger, RemoteEndPoint, violation.Message);
            throw;
        }
    }

    public void ResetStatistics() => inner.ResetStatistics();

    public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        if (packet is MqttConnAckPacket connAck)
        {
            connAck.MaximumPacketSize = (uint)limits.MaxPacketSize;
            connAck.TopicAliasMaximum = 0;
            if (hold is not null)
            {
                connAck.ReceiveMaximum = (ushort)limits.ReceiveMaximum;
            }
        }
        else if (hold is not null && packet is MqttPubAckPacket or MqttPubRecPacket && !ReleaseNow((MqttPacketWithIdentifier)packet, out var release))
        {
            if (release)
            {
                // Not awaited: MQTTnet's send loop goes on (keep-alive answers, commands) while this waits for the database.
                _ = ReleaseHeldAsync(_closed.Token);
            }

            return Task.CompletedTask;
        }

        return inner.SendPacketAsync(packet, cancellationToken);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _closed.Cancel();
        _closed.Dispose();
        inner.Dispose();
    }

    private void Hold(MqttPublishPacket publish)
    {
        lock (_lock)
        {
            if (_received.Count + _held.Count >= limits.ReceiveMaximum && !_received.ContainsKey(publish.PacketIdentifier))
            {
                throw new MqttProtocolViolationException(
                    $"more than {limits.ReceiveMaximum} publishes unacknowledged, the broker's receive maximum (MQTT 5, 3.3.4-7; Broker:Limits:ReceiveMaximum)");
            }

            _received[publish.PacketIdentifier] = hold!.Receive(publish);
        }
    }

    /// <summary>
    /// Whether an acknowledgement may go out now: its message is stored and none before it waits. Otherwise it joins
    /// the queue that <see cref="ReleaseHeldAsync"/> sends from, so acknowledgements keep the order of their publishes;
    /// <paramref name="release"/> says the queue was empty and its sender must be started.
    /// </summary>
    private bool ReleaseNow(MqttPacketWithIdentifier acknowledgement, out bool release)
    {
        release = false;
        lock (_lock)
        {
            var held = _received.Remove(acknowledgement.PacketIdentifier, out var received) ? received : HeldPublish.None;
            held.Dispatched();
            if (_held.Count == 0 && held.Stored is { IsCompletedSuccessfully: true, Result: true })
            {
                return true;
            }

            _held.Enqueue((acknowledgement, held));
            release = _held.Count == 1;
            return false;
        }
    }

    /// <summary>Sends held acknowledgements in order as their messages are stored, until none is left.</summary>
    private async Task ReleaseHeldAsync(CancellationToken token)
    {
        await Task.Yield();
        try
        {
            while (true)
            {
                (MqttPacket Acknowledgement, HeldPublish Held) next;
                lock (_lock)
                {
                    next = _held.Peek();
                }

                bool stored;
                try
                {
                    stored = await next.Held.Stored.WaitAsync(limits.AcknowledgementTimeout, token).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Never stored in time: the connection closes unacknowledged rather than waiting for ever, and the
                    // sender publishes the message again (the cloud drops the duplicate by its sequence number).
                    LogNotStoredInTime(logger, RemoteEndPoint, limits.AcknowledgementTimeout.TotalSeconds);
                    await inner.DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
                    return;
                }

                if (!stored)
                {
                    // A copy for the consumer was lost before it was stored: no acknowledgement may ever say otherwise.
                    // Closing the connection makes the sender publish it again from its outbox after reconnecting.
                    LogNotStored(logger, RemoteEndPoint);
                    await inner.DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
                    return;
                }

                await inner.SendPacketAsync(next.Acknowledgement, token).ConfigureAwait(false);
                lock (_lock)
                {
                    _held.Dequeue();
                    if (_held.Count == 0)
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or MqttCommunicationException or IOException)
        {
            // The connection closed: what was not acknowledged stays with the sender, which publishes it again.
        }
    }

    [LoggerMessage(EventId = 734, Level = LogLevel.Warning, Message = "MQTT connection from {Endpoint} closed: a message it published was dropped from the cloud's queue before it was stored; the sender publishes it again")]
    private static partial void LogNotStored(ILogger logger, EndPoint? endpoint);

    [LoggerMessage(EventId = 739, Level = LogLevel.Warning, Message = "MQTT connection from {Endpoint} closed: a message it published was not stored within {Seconds} s (Broker:Limits:AcknowledgementTimeout); the sender publishes it again")]
    private static partial void LogNotStoredInTime(ILogger logger, EndPoint? endpoint, double seconds);

    [LoggerMessage(EventId = 733, Level = LogLevel.Warning, Message = "MQTT connection from {Endpoint} closed: protocol violation: {Violation}")]
    private static partial void LogProtocolViolation(ILogger logger, EndPoint? endpoint, string violation);
}

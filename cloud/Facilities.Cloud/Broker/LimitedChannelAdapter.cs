using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Packets;

namespace Facilities.Cloud.Broker;

/// <summary>
/// MQTTnet's packet adapter for one connection with the broker's limits on top: CONNACK tells MQTT 5 clients the
/// maximum packet size and that topic aliases are not accepted (MQTTnet announces 65,535 aliases and keeps every alias'
/// topic, up to 64 KiB each, for the life of the connection), a PUBLISH using an alias anyway is a protocol violation,
/// and protocol violations are counted. MQTTnet closes the connection on each.
/// </summary>
internal sealed partial class LimitedChannelAdapter(MqttChannelAdapter inner, BrokerLimits limits, BrokerCounters counters, ILogger logger) : IMqttChannelAdapter
{
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
        }

        return inner.SendPacketAsync(packet, cancellationToken);
    }

    public void Dispose() => inner.Dispose();

    [LoggerMessage(EventId = 733, Level = LogLevel.Warning, Message = "MQTT connection from {Endpoint} closed: protocol violation: {Violation}")]
    private static partial void LogProtocolViolation(ILogger logger, EndPoint? endpoint, string violation);
}

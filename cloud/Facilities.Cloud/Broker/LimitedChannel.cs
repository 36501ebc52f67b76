using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Channel;

namespace Facilities.Cloud.Broker;

/// <summary>
/// One client connection's bytes, bounded before MQTTnet sees them: a packet announcing more than
/// <see cref="BrokerLimits.MaxPacketSize"/> closes the connection as soon as its length is read (MQTTnet would allocate
/// the whole announced body first, up to 256 MB), and a connection that has not delivered its CONNECT within
/// <see cref="BrokerLimits.ConnectTimeout"/>, or not been answered within <see cref="BrokerLimits.AuthenticationTimeout"/>,
/// both counted from the moment it was accepted, is closed (MQTTnet waits 100 s for a CONNECT).
/// </summary>
internal sealed partial class LimitedChannel : IMqttChannel
{
    private const int AwaitingConnect = 0;
    private const int AwaitingConnAck = 1;
    private const int LoggedIn = 2;

    private readonly IMqttChannel _inner;
    private readonly BrokerLimits _limits;
    private readonly BrokerCounters _counters;
    private readonly ILogger _logger;
    private readonly PacketFraming _framing;
    private readonly ITimer _connectDeadline;
    private readonly ITimer _authenticationDeadline;
    private int _stage = AwaitingConnect;
    private int _closed;
    private bool _atPacketStart = true;

    public LimitedChannel(IMqttChannel inner, BrokerLimits limits, BrokerCounters counters, TimeProvider time, long acceptedAt, ILogger logger)
    {
        _inner = inner;
        _limits = limits;
        _counters = counters;
        _logger = logger;
        _framing = new PacketFraming(limits.MaxPacketSize);
        var elapsed = time.GetElapsedTime(acceptedAt);
        _connectDeadline = time.CreateTimer(_ => Expire(AwaitingConnect), null, Until(limits.ConnectTimeout, elapsed), Timeout.InfiniteTimeSpan);
        _authenticationDeadline = time.CreateTimer(_ => Expire(AwaitingConnAck), null, Until(limits.AuthenticationTimeout, elapsed), Timeout.InfiniteTimeSpan);
    }

    public X509Certificate2 ClientCertificate => _inner.ClientCertificate;

    public EndPoint RemoteEndPoint => _inner.RemoteEndPoint;

    public EndPoint LocalEndPoint => _inner.LocalEndPoint;

    public bool IsSecureConnection => _inner.IsSecureConnection;

    public Task ConnectAsync(CancellationToken cancellationToken) => _inner.ConnectAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken)
    {
        Close();
        return Task.CompletedTask;
    }

    public async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return 0;
        }

        var read = await _inner.ReadAsync(buffer, offset, count, cancellationToken);
        if (read == 0)
        {
            return 0;
        }

        var oversized = _framing.Advance(buffer.AsSpan(offset, read));
        if (oversized > 0)
        {
            // Zero bytes read is "connection closed" to MQTTnet's adapter: it stops before allocating the body.
            _counters.PacketTooLarge();
            LogPacketTooLarge(_logger, RemoteEndPoint, oversized == PacketFraming.Unbounded ? "an invalid length" : $"{oversized} bytes", _limits.MaxPacketSize);
            Close();
            return 0;
        }

        if (_framing.CompletedPackets > 0 && Interlocked.CompareExchange(ref _stage, AwaitingConnAck, AwaitingConnect) == AwaitingConnect)
        {
            _connectDeadline.Dispose();
        }

        return read;
    }

    public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken)
    {
        // The broker's first packet is its CONNACK (type 2): the login is over, whatever it said.
        if (_atPacketStart && !buffer.IsEmpty && buffer.FirstSpan[0] >> 4 == 2 && Interlocked.Exchange(ref _stage, LoggedIn) != LoggedIn)
        {
            _connectDeadline.Dispose();
            _authenticationDeadline.Dispose();
        }

        _atPacketStart = isEndOfPacket;
        return _inner.WriteAsync(buffer, isEndOfPacket, cancellationToken);
    }

    public void Dispose() => Close();

    private static TimeSpan Until(TimeSpan limit, TimeSpan elapsed) => limit > elapsed ? limit - elapsed : TimeSpan.Zero;

    private void Expire(int stage)
    {
        if (Volatile.Read(ref _stage) > stage || Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        if (stage == AwaitingConnect)
        {
            _counters.ConnectTimeout();
            LogNoConnect(_logger, RemoteEndPoint, _limits.ConnectTimeout.TotalSeconds);
        }
        else
        {
            _counters.AuthenticationTimeout();
            LogNotLoggedIn(_logger, RemoteEndPoint, _limits.AuthenticationTimeout.TotalSeconds);
        }

        Close();
    }

    /// <summary>Closes the socket; a read waiting on it ends, and MQTTnet drops the connection.</summary>
    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _connectDeadline.Dispose();
        _authenticationDeadline.Dispose();
        _inner.Dispose();
    }

    [LoggerMessage(EventId = 730, Level = LogLevel.Warning, Message = "MQTT connection from {Endpoint} closed: it announced a packet of {Size}, the limit is {Limit} bytes (Broker:Limits:MaxPacketSize)")]
    private static partial void LogPacketTooLarge(ILogger logger, EndPoint? endpoint, string size, int limit);

    [LoggerMessage(EventId = 731, Level = LogLevel.Warning, Message = "MQTT connection from {Endpoint} closed: no complete CONNECT within {Seconds} s (Broker:Limits:ConnectTimeout)")]
    private static partial void LogNoConnect(ILogger logger, EndPoint? endpoint, double seconds);

    [LoggerMessage(EventId = 732, Level = LogLevel.Warning, Message = "MQTT connection from {Endpoint} closed: not logged in within {Seconds} s (Broker:Limits:AuthenticationTimeout)")]
    private static partial void LogNotLoggedIn(ILogger logger, EndPoint? endpoint, double seconds);
}

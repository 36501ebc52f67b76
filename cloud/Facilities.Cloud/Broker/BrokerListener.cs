using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Server;

namespace Facilities.Cloud.Broker;

/// <summary>
/// One TCP listener (plain, or TLS when it has a certificate) of the embedded broker, in place of MQTTnet's own so that
/// each connection's bytes pass through <see cref="LimitedChannel"/> and its packets through
/// <see cref="LimitedChannelAdapter"/>; the TLS handshake counts against <see cref="BrokerLimits.ConnectTimeout"/> (MQTTnet's
/// listener waits for it without end).
/// </summary>
internal sealed partial class BrokerListener(
    IPEndPoint endpoint, X509Certificate2? certificate, BrokerLimits limits, BrokerCounters counters, AcknowledgementHold? hold, TimeProvider time, ILogger logger) : IMqttServerAdapter
{
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task _accepting = Task.CompletedTask;
    private int _disposed;

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(100);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        _accepting = AcceptAsync(socket, options, logger, _stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        _socket?.Dispose();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _socket?.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptAsync(Socket listener, MqttServerOptions options, IMqttNetLogger mqttLogger, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException error)
            {
                // Out of file descriptors and the like: wait a little instead of spinning.
                LogAcceptFailed(logger, endpoint, error.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            _ = ServeAsync(client, options, mqttLogger, cancellationToken);
        }
    }

    private async Task ServeAsync(Socket socket, MqttServerOptions options, IMqttNetLogger mqttLogger, CancellationToken cancellationToken)
    {
        var acceptedAt = time.GetTimestamp();
        var remote = socket.RemoteEndPoint;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            socket.NoDelay = true;
            if (certificate is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                if (!await HandshakeAsync(tls, remote, cancellationToken))
                {
                    return;
                }
            }

            if (ClientHandler is not { } handler)
            {
                return;
            }

            var channel = new LimitedChannel(new MqttTcpChannel(stream, endpoint, remote, null), limits, counters, time, acceptedAt, logger);
            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
            using var adapter = new LimitedChannelAdapter(new MqttChannelAdapter(channel, formatter, mqttLogger), limits, counters, hold, logger);
            await handler(adapter);
        }
        catch (Exception error) when (error is IOException or SocketException or ObjectDisposedException or OperationCanceledException or AuthenticationException)
        {
            // The client went away or was closed by a limit; nothing to report beyond what was logged.
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Nobody awaits this task: whatever else broke the connection is logged here, not lost.
            LogConnectionFailed(logger, remote, error);
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private async Task<bool> HandshakeAsync(SslStream tls, EndPoint? remote, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(limits.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, ClientCertificateRequired = false }, linked.Token);
            return true;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            counters.ConnectTimeout();
            LogHandshakeTimeout(logger, remote, limits.ConnectTimeout.TotalSeconds);
            return false;
        }
        catch (Exception error) when (error is AuthenticationException or IOException)
        {
            LogHandshakeFailed(logger, remote, error.Message);
            return false;
        }
    }

    [LoggerMessage(EventId = 737, Level = LogLevel.Error, Message = "MQTT connection from {Endpoint} failed")]
    private static partial void LogConnectionFailed(ILogger logger, EndPoint? endpoint, Exception error);

    [LoggerMessage(EventId = 738, Level = LogLevel.Warning, Message = "MQTT listener {Endpoint} could not accept a connection: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, EndPoint? endpoint, string error);

    [LoggerMessage(EventId = 735, Level = LogLevel.Warning, Message = "MQTT connection from {Endpoint} closed: no TLS handshake within {Seconds} s (Broker:Limits:ConnectTimeout)")]
    private static partial void LogHandshakeTimeout(ILogger logger, EndPoint? endpoint, double seconds);

    [LoggerMessage(EventId = 736, Level = LogLevel.Information, Message = "MQTT connection from {Endpoint} failed its TLS handshake: {Error}")]
    private static partial void LogHandshakeFailed(ILogger logger, EndPoint? endpoint, string error);
}

using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Facilities.Cloud.Broker;

/// <summary>
/// The MQTT broker a single-box install runs inside the cloud process (MQTTnet's server), with the credentials and
/// topic permissions of <see cref="BrokerAccessPolicy"/>. It starts before the cloud's consumer and stops after it;
/// on the way down it first lets the consumer take what is still queued for it (<see cref="BrokerOptions.DrainTimeout"/>)
/// while gateways' messages are no longer acknowledged (they stay in the gateways' outboxes), and it publishes no last
/// wills for the gateways it disconnects itself: the cloud stopping is not the gateways failing.
/// Split by concern: this file the lifecycle, <c>.Access</c> authentication and ACL, <c>.Retained</c> persistence.
/// </summary>
internal sealed partial class EmbeddedBroker : IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>The credential of the cloud's own consumer in this process (see <see cref="ConnectLocalConsumer"/>).</summary>
    public const string LocalUsername = "facilities-cloud-local";

    private static readonly string LocalPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    private readonly BrokerOptions _options;
    private readonly CloudDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger<EmbeddedBroker> _logger;
    private readonly BrokerAccessPolicy _policy;
    private readonly RetainedQuota _retainedQuota;
    private readonly CancellationTokenSource _lifetime = new();

    /// <summary>Gateways' acknowledgements waiting for the cloud's consumer in this process to store their messages; null without one.</summary>
    private readonly AcknowledgementHold? _hold;

    /// <summary>Completes when the consumer in this process has subscribed: publishes before that would reach nobody.</summary>
    private readonly TaskCompletionSource _consumerSubscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Unacknowledged deliveries per cloud client id, so shutdown can wait until the consumer committed them.</summary>
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);

    private MqttServer? _server;
    private X509Certificate2? _certificate;
    private volatile bool _stopping;

    public EmbeddedBroker(BrokerOptions options, CloudDatabase database, TimeProvider time, ILogger<EmbeddedBroker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _database = database;
        _time = time;
        _logger = logger;
        _policy = new BrokerAccessPolicy(
            options.Users.Append(new BrokerUser { Username = LocalUsername, Password = LocalPassword, Role = BrokerRole.Cloud }),
            options.AllowAnonymous);
        _retainedQuota = new RetainedQuota(options.Limits);
        _deadLetters = CreateDeadLetterQueue(options.DeadLetterQueueLength);
        _retainedFile = string.IsNullOrEmpty(options.PersistenceDirectory) ? null : new RetainedMessageFile(options.PersistenceDirectory);
        _hold = options.StoringConsumer is null ? null : new AcknowledgementHold();
    }

    /// <summary>
    /// Points the cloud's consumer in this process at the embedded broker, when that runs: its plain listener, and the
    /// broker's in-memory credential unless <c>Mqtt:Username</c> names a configured cloud user. Zero set-up on a single
    /// box, and nothing another process could guess.
    /// </summary>
    public static CloudMqttOptions ConnectLocalConsumer(CloudMqttOptions consumer, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        if (BrokerOptions.WhenEnabled(configuration) is not { } options)
        {
            return consumer;
        }

        if (options.Port == 0)
        {
            throw new InvalidOperationException("configuration section 'Broker': Port 0 leaves the cloud's own consumer no listener (it connects without TLS)");
        }

        var local = consumer with { Port = options.Port };
        if (IPAddress.TryParse(options.BindAddress, out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
        {
            local = local with { Host = options.BindAddress };
        }

        return string.IsNullOrEmpty(local.Username) ? local with { Username = LocalUsername, Password = LocalPassword } : local;
    }

    public bool IsRunning => _server?.IsStarted == true;

    /// <summary>The retained messages the broker holds now (for tests and diagnostics).</summary>
    internal async Task<IList<MQTTnet.MqttApplicationMessage>> RetainedMessagesAsync() =>
        _server is { IsStarted: true } server ? await server.GetRetainedMessagesAsync() : [];

    /// <summary>The client ids of the connections open now.</summary>
    internal async Task<IReadOnlyList<string>> ConnectedClientIdsAsync() =>
        _server is { IsStarted: true } server ? (await server.GetClientsAsync()).Select(c => c.Id).ToList() : [];

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var retained = await LoadRetainedAsync(cancellationToken);
        RestoreRetainedQuota(retained);
        _server = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder().WithPersistentSessions(true).Build(), BuildListeners());
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        _server.SessionDeletedAsync += ForgetSessionAsync;
        _server.InterceptingOutboundPacketAsync += CountDeliveryAsync;
        _server.ClientAcknowledgedPublishPacketAsync += CountAcknowledgementAsync;
        _server.ClientDisconnectedAsync += ForgetDeliveriesAsync;
        _server.InterceptingInboundPacketAsync += HonourDisconnectWithWillAsync;
        _server.InterceptingClientEnqueueAsync += CountConsumerCopyAsync;
        _server.ApplicationMessageEnqueuedOrDroppedAsync += NoteDroppedConsumerCopyAsync;
        _server.ClientSubscribedTopicAsync += NoteConsumerSubscribedAsync;
        _server.LoadingRetainedMessageAsync += e =>
        {
            e.LoadedRetainedMessages = retained;
            return Task.CompletedTask;
        };
        _server.RetainedMessageChangedAsync += _ => RequestRetainedSave();
        _server.RetainedMessagesClearedAsync += _ =>
        {
            _retainedQuota.Clear();
            return RequestRetainedSave();
        };

        _deadLetterWriter = WriteDeadLettersAsync(_lifetime.Token);
        _retainedWriter = WriteRetainedAsync(_lifetime.Token);
        await _server.StartAsync();
        LogStarted(_logger, _options.BindAddress, _options.Port, _options.Tls.Port, _options.Users.Count, retained.Count, _options.AllowAnonymous);
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Before any service stops: stop taking gateway messages and let the consumer drain its queue.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_server is not { IsStarted: true } server)
        {
            return;
        }

        _stopping = true;
        server.AcceptNewConnections = false;
        var deadline = _time.GetUtcNow() + _options.DrainTimeout;
        var left = await UndeliveredToCloudAsync(server);
        while (left > 0 && _time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            left = await UndeliveredToCloudAsync(server);
        }

        if (left > 0 && _hold is not null)
        {
            LogDrainIncompleteHeld(_logger, left, _options.DrainTimeout.TotalSeconds);
        }
        else if (left > 0)
        {
            LogDrainIncomplete(_logger, left, _options.DrainTimeout.TotalSeconds);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not { } server)
        {
            return;
        }

        _stopping = true;
        if (server.IsStarted)
        {
            await SaveRetainedNowAsync(server, cancellationToken);
            await server.StopAsync(new MqttServerStopOptions { DefaultClientDisconnectOptions = new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.ServerShuttingDown } });
        }

        _deadLetters.Writer.TryComplete();
        _retainedChanged.Writer.TryComplete();
        await using (cancellationToken.Register(_lifetime.Cancel))
        {
            await Task.WhenAll(_deadLetterWriter, _retainedWriter).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        LogStopped(_logger, RefusedConnections, RefusedPublishes, RefusedSubscriptions);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            if (_server.IsStarted)
            {
                await StopAsync(CancellationToken.None);
            }

            _server.Dispose();
        }

        _certificate?.Dispose();
        _lifetime.Dispose();
    }

    /// <summary>Our own listeners instead of MQTTnet's, for the limits they enforce before a packet is buffered.</summary>
    private List<IMqttServerAdapter> BuildListeners()
    {
        var address = IPAddress.Parse(_options.BindAddress);
        var listeners = new List<IMqttServerAdapter>();
        if (_options.Port > 0)
        {
            listeners.Add(new BrokerListener(new IPEndPoint(address, _options.Port), null, _options.Limits, _counters, _hold, _time, _logger));
        }

        if (_options.Tls.Port is { } tlsPort)
        {
            // Exported and re-imported so SslStream can use the PEM key on every platform.
            using var pem = X509Certificate2.CreateFromPemFile(_options.Tls.Certificate!, _options.Tls.Key);
            _certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            listeners.Add(new BrokerListener(new IPEndPoint(address, tlsPort), _certificate, _options.Limits, _counters, _hold, _time, _logger));
        }

        return listeners;
    }

    /// <summary>Messages queued for or delivered to connected cloud clients and not yet acknowledged by them.</summary>
    private async Task<long> UndeliveredToCloudAsync(MqttServer server)
    {
        long left = 0;
        foreach (var client in await server.GetClientsAsync())
        {
            if (_policy.RoleOf(SessionOwner(client.Id)) == BrokerRole.Cloud)
            {
                left += client.Session.PendingApplicationMessagesCount + _inFlight.GetValueOrDefault(client.Id);
            }
        }

        return left;
    }

    /// <summary>
    /// MQTTnet's server publishes no last will after any DISCONNECT, not even one with reason "disconnect with will
    /// message" (MQTT 5, 3.14.2.1), which a gateway sends when it stops cleanly so the cloud learns it is offline.
    /// Ignoring that packet leaves the connection closing uncleanly, and MQTTnet then publishes the will.
    /// </summary>
    private static Task HonourDisconnectWithWillAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttDisconnectPacket { ReasonCode: MqttDisconnectReasonCode.DisconnectWithWillMessage })
        {
            e.ProcessPacket = false;
        }

        return Task.CompletedTask;
    }

    private Task CountDeliveryAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttPublishPacket { QualityOfServiceLevel: > MqttQualityOfServiceLevel.AtMostOnce } && _policy.RoleOf(e.UserName) == BrokerRole.Cloud)
        {
            _inFlight.AddOrUpdate(e.ClientId, 1, (_, n) => n + 1);
        }

        return Task.CompletedTask;
    }

    private Task CountAcknowledgementAsync(ClientAcknowledgedPublishPacketEventArgs e)
    {
        _inFlight.AddOrUpdate(e.ClientId, 0, (_, n) => Math.Max(0, n - 1));
        if (_hold is not null && e.IsCompleted && IsStoringConsumer(e.ClientId))
        {
            // The consumer acknowledges only after the transaction that handled the message committed.
            _hold.Acknowledged(e.ClientId, e.PublishPacket);
        }

        return Task.CompletedTask;
    }

    private bool IsStoringConsumer(string clientId) => _options.StoringConsumer is { } consumer && SessionOwner(clientId) == consumer;

    private Task CountConsumerCopyAsync(InterceptingClientApplicationMessageEnqueueEventArgs e)
    {
        if (_hold is not null && IsStoringConsumer(e.ReceiverClientId))
        {
            _hold.Enqueuing(e.ReceiverClientId, e.ApplicationMessage);
        }

        return Task.CompletedTask;
    }

    private Task NoteDroppedConsumerCopyAsync(ApplicationMessageEnqueuedEventArgs e)
    {
        if (_hold is not null && e.IsDropped && IsStoringConsumer(e.ReceiverClientId))
        {
            _hold.Dropped(e.ReceiverClientId, e.ApplicationMessage);
        }

        return Task.CompletedTask;
    }

    private Task NoteConsumerSubscribedAsync(ClientSubscribedTopicEventArgs e)
    {
        if (_options.StoringConsumer is { } consumer && e.UserName == consumer)
        {
            _consumerSubscribed.TrySetResult();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Holds a publish until the consumer in this process has subscribed (just after start): dispatched earlier, it
    /// would reach no session, and MQTTnet would acknowledge it at once (<i>no matching subscribers</i>, which a gateway
    /// takes as delivered).
    /// </summary>
    private async Task WaitForConsumerAsync(CancellationToken connection)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(connection, _lifetime.Token);
        await _consumerSubscribed.Task.WaitAsync(either.Token);
    }

    private Task ForgetDeliveriesAsync(ClientDisconnectedEventArgs e)
    {
        _inFlight.TryRemove(e.ClientId, out _);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Embedded MQTT broker on {Address} port {Port} (TLS port {TlsPort}); {Users} users, {Retained} retained messages restored, anonymous allowed: {Anonymous}")]
    private static partial void LogStarted(ILogger logger, string address, int port, int? tlsPort, int users, int retained, bool anonymous);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Embedded MQTT broker stopped ({Connections} connections, {Publishes} publishes, {Subscriptions} subscriptions refused since start)")]
    private static partial void LogStopped(ILogger logger, long connections, long publishes, long subscriptions);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "{Count} messages were still queued for the cloud after {Seconds} s; they are lost with the broker (gateways got their acknowledgement)")]
    private static partial void LogDrainIncomplete(ILogger logger, long count, double seconds);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "{Count} messages were still queued for the cloud after {Seconds} s; their gateways were not acknowledged and publish them again after the restart")]
    private static partial void LogDrainIncompleteHeld(ILogger logger, long count, double seconds);
}

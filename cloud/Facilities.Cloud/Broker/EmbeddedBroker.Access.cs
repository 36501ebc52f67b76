using System.Buffers;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Threading.Channels;
using Facilities.Cloud.Storage;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Facilities.Cloud.Broker;

/// <summary>A publish the ACL refused, on its way to the <c>dead_letters</c> table.</summary>
internal sealed record RefusedPublish(DateTimeOffset ReceivedAt, string Topic, string Reason, byte[] Payload);

public sealed partial class EmbeddedBroker
{
    /// <summary>
    /// Client id → the user whose session it is. MQTTnet lets a new connection take over a session by client id and
    /// keeps the session's user name; without this a gateway could take over the cloud's session and read its queue.
    /// </summary>
    private readonly ConcurrentDictionary<string, string> _sessionOwners = new(StringComparer.Ordinal);

    private readonly Channel<RefusedPublish> _deadLetters;
    private Task _deadLetterWriter = Task.CompletedTask;
    private long _refusedConnections;
    private long _refusedPublishes;
    private long _refusedSubscriptions;
    private long _deadLettersDropped;

    public long RefusedConnections => Interlocked.Read(ref _refusedConnections);

    /// <summary>Publishes refused by the ACL; each is also written to <c>dead_letters</c> unless its queue was full.</summary>
    public long RefusedPublishes => Interlocked.Read(ref _refusedPublishes);

    public long RefusedSubscriptions => Interlocked.Read(ref _refusedSubscriptions);

    /// <summary>Refused publishes not written to <c>dead_letters</c> because the queue was full (a client flooding).</summary>
    public long DeadLettersDropped => Interlocked.Read(ref _deadLettersDropped);

    private static Channel<RefusedPublish> CreateDeadLetterQueue(int length) =>
        Channel.CreateBounded<RefusedPublish>(new BoundedChannelOptions(length) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private string? SessionOwner(string clientId) => _sessionOwners.GetValueOrDefault(clientId);

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        if (string.IsNullOrEmpty(e.ClientId))
        {
            // An MQTT 5 client may leave its id to the broker (mosquitto_pub does); MQTTnet assigns only one it is given,
            // also when refusing (else it reports the empty id instead of the real reason). MQTT 3.1.1 clients must send
            // an id: MQTTnet refuses an empty one there.
            e.AssignedClientIdentifier = $"auto-{Guid.NewGuid():N}";
        }

        var refusal = _policy.CheckConnect(e.UserName, e.Password);
        if (refusal is null && !string.IsNullOrEmpty(e.ClientId))
        {
            var user = e.UserName ?? string.Empty;
            var owner = _sessionOwners.GetOrAdd(e.ClientId, user);
            if (owner != user)
            {
                e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
                refusal = $"client id '{e.ClientId}' belongs to the session of user '{owner}'";
            }
        }
        else if (refusal is not null)
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
        }

        if (refusal is not null)
        {
            Interlocked.Increment(ref _refusedConnections);
            LogConnectionRefused(_logger, e.ClientId, e.RemoteEndPoint?.ToString() ?? "?", refusal);
        }

        return Task.CompletedTask;
    }

    private Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        if (_stopping && _policy.RoleOf(e.UserName) != BrokerRole.Cloud)
        {
            // Shutting down: closing the connection instead of acknowledging leaves the message in the gateway's outbox
            // for the next run, and drops the last will MQTTnet publishes for connections it closes itself.
            e.ProcessPublish = false;
            e.CloseConnection = true;
            return Task.CompletedTask;
        }

        var topic = e.ApplicationMessage.Topic;
        var refusal = _policy.CheckPublish(e.UserName, topic);
        if (refusal is null)
        {
            return Task.CompletedTask;
        }

        e.ProcessPublish = false;
        e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
        e.Response.ReasonString = "not authorised for this topic";
        Interlocked.Increment(ref _refusedPublishes);
        LogPublishRefused(_logger, e.ClientId, refusal);
        var letter = new RefusedPublish(_time.GetUtcNow(), topic, refusal, e.ApplicationMessage.Payload.ToArray());
        if (!_deadLetters.Writer.TryWrite(letter))
        {
            Interlocked.Increment(ref _deadLettersDropped);
        }

        return Task.CompletedTask;
    }

    /// <summary>MQTTnet refuses <c>$share/</c> filters itself (SharedSubscriptionsNotSupported) before this runs.</summary>
    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var refusal = _policy.CheckSubscribe(e.UserName, e.TopicFilter.Topic);
        if (refusal is not null)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            Interlocked.Increment(ref _refusedSubscriptions);
            LogSubscriptionRefused(_logger, e.ClientId, refusal);
        }

        return Task.CompletedTask;
    }

    private Task ForgetSessionAsync(SessionDeletedEventArgs e)
    {
        _sessionOwners.TryRemove(e.Id, out _);
        return Task.CompletedTask;
    }

    /// <summary>Writes refused publishes with a plain INSERT of their own: they belong to no ingestion transaction.</summary>
    private async Task WriteDeadLettersAsync(CancellationToken cancellationToken)
    {
        await foreach (var letter in _deadLetters.Reader.ReadAllAsync(cancellationToken))
        {
            try
            {
                await using var connection = await _database.OpenAsync(cancellationToken);
                await DeadLetters.InsertAsync(connection, null, letter.ReceivedAt, letter.Topic, letter.Reason, letter.Payload, cancellationToken);
            }
            catch (Exception error) when (error is DbException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                LogDeadLetterFailed(_logger, letter.Topic, error.Message);
            }
        }
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Warning, Message = "MQTT connection refused (client {ClientId} from {Endpoint}): {Reason}")]
    private static partial void LogConnectionRefused(ILogger logger, string clientId, string endpoint, string reason);

    [LoggerMessage(EventId = 711, Level = LogLevel.Warning, Message = "MQTT publish refused (client {ClientId}): {Reason}; kept in dead_letters")]
    private static partial void LogPublishRefused(ILogger logger, string clientId, string reason);

    [LoggerMessage(EventId = 712, Level = LogLevel.Warning, Message = "MQTT subscription refused (client {ClientId}): {Reason}")]
    private static partial void LogSubscriptionRefused(ILogger logger, string clientId, string reason);

    [LoggerMessage(EventId = 713, Level = LogLevel.Error, Message = "A refused publish on {Topic} could not be written to dead_letters: {Error}")]
    private static partial void LogDeadLetterFailed(ILogger logger, string topic, string error);
}

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

internal sealed partial class EmbeddedBroker
{
    /// <summary>
    /// Client id → the user whose session it is. MQTTnet lets a new connection take over a session by client id and
    /// keeps the session's user name; without this a gateway could take over the cloud's session and read its queue.
    /// </summary>
    private readonly ConcurrentDictionary<string, string> _sessionOwners = new(StringComparer.Ordinal);

    private readonly Channel<RefusedPublish> _deadLetters;
    private readonly BrokerCounters _counters = new();
    private Task _deadLetterWriter = Task.CompletedTask;

    /// <summary>Connections refused at login: bad credentials, or a client id that is not theirs.</summary>
    public long RefusedConnections
    {
        get
        {
            var counters = _counters.Snapshot();
            return counters.BadCredentials + counters.ClientIdRefused;
        }
    }

    /// <summary>Publishes refused by the ACL; each is also written to <c>dead_letters</c> unless its queue was full.</summary>
    public long RefusedPublishes => _counters.Snapshot().PublishesRefused;

    public long RefusedSubscriptions => _counters.Snapshot().SubscriptionsRefused;

    /// <summary>Refused publishes not written to <c>dead_letters</c> because the queue was full (a client flooding).</summary>
    public long DeadLettersDropped => _counters.Snapshot().DeadLettersDropped;

    /// <summary>Everything the broker refused or dropped since start, by reason.</summary>
    public BrokerCounterSnapshot Counters => _counters.Snapshot();

    private static Channel<RefusedPublish> CreateDeadLetterQueue(int length) =>
        Channel.CreateBounded<RefusedPublish>(new BoundedChannelOptions(length) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private string? SessionOwner(string clientId) => _sessionOwners.GetValueOrDefault(clientId);

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var clientId = e.ClientId;
        if (string.IsNullOrEmpty(clientId))
        {
            // An MQTT 5 client may leave its id to the broker (mosquitto_pub does); MQTTnet assigns only one it is given,
            // also when refusing (else it reports the empty id instead of the real reason). MQTT 3.1.1 clients must send
            // an id: MQTTnet refuses an empty one there. A gateway gets its own id.
            clientId = e.AssignedClientIdentifier = _policy.AssignClientId(e.UserName);
        }

        var user = e.UserName ?? string.Empty;
        string? refusal;
        if ((refusal = _policy.CheckConnect(e.UserName, e.Password)) is not null)
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            _counters.BadCredentials();
        }
        else if ((refusal = _policy.CheckClientId(e.UserName, clientId)) is not null)
        {
            e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            e.ReasonString = "client id not allowed for this user";
            _counters.ClientIdRefused();
        }
        else if (_policy.RoleOf(e.UserName) == BrokerRole.Gateway)
        {
            // The id is this gateway's by configuration: it takes over its own session whoever held the id before.
            _sessionOwners[clientId] = user;
            if (_policy.IsLegacyClientId(clientId))
            {
                LogLegacyClientId(_logger, clientId, user);
            }
        }
        else if (_sessionOwners.GetOrAdd(clientId, user) is var owner && owner != user)
        {
            e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            refusal = $"client id '{clientId}' belongs to the session of user '{owner}'";
            _counters.ClientIdRefused();
        }

        if (refusal is not null)
        {
            LogConnectionRefused(_logger, clientId, e.RemoteEndPoint?.ToString() ?? "?", refusal);
        }

        return Task.CompletedTask;
    }

    private Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        // Always: the tag must not reach subscribers, refused or not.
        _hold?.Claim(e.ApplicationMessage);
        if (_stopping && _policy.RoleOf(e.UserName) != BrokerRole.Cloud)
        {
            // Shutting down: closing the connection instead of acknowledging leaves the message in the gateway's outbox
            // for the next run, and drops the last will MQTTnet publishes for connections it closes itself.
            e.ProcessPublish = false;
            e.CloseConnection = true;
            return Task.CompletedTask;
        }

        var topic = e.ApplicationMessage.Topic;
        if (topic.AsSpan().ContainsAny('+', '#', '\0'))
        {
            // A topic name with a wildcard or U+0000 is a malformed packet: MQTT (3.3.2-2, 1.5.4-2) requires closing.
            _counters.ProtocolViolation();
            Refuse(e, topic.Replace("\0", "\\u0000", StringComparison.Ordinal), MqttPubAckReasonCode.TopicNameInvalid,
                "protocol violation: a topic name may contain neither wildcards (+ #) nor U+0000; connection closed");
            e.CloseConnection = true;
            return Task.CompletedTask;
        }

        if (_policy.CheckPublish(e.UserName, topic) is { } refusal)
        {
            _counters.PublishRefused();
            Refuse(e, topic, MqttPubAckReasonCode.NotAuthorized, refusal);
            return Task.CompletedTask;
        }

        if (e.ApplicationMessage.Retain && _retainedQuota.TryHold(e.UserName, e.ClientId, topic, e.ApplicationMessage.Payload.Length) is { } overQuota)
        {
            _counters.RetainedRefused();
            Refuse(e, topic, MqttPubAckReasonCode.QuotaExceeded, overQuota);
            return Task.CompletedTask;
        }

        return _hold is null || _consumerSubscribed.Task.IsCompleted || e.UserName == _options.StoringConsumer
            ? Task.CompletedTask
            : WaitForConsumerAsync(e.CancellationToken);
    }

    /// <summary>Not delivered, not retained: answered with the reason (MQTT 5), logged and kept in <c>dead_letters</c>.</summary>
    private void Refuse(InterceptingPublishEventArgs e, string topic, MqttPubAckReasonCode code, string reason)
    {
        e.ProcessPublish = false;
        e.Response.ReasonCode = code;
        e.Response.ReasonString = code switch
        {
            MqttPubAckReasonCode.NotAuthorized => "not authorised for this topic",
            MqttPubAckReasonCode.QuotaExceeded => "retained message limit reached",
            _ => "invalid topic name",
        };
        LogPublishRefused(_logger, e.ClientId, reason);
        var letter = new RefusedPublish(_time.GetUtcNow(), topic, reason, e.ApplicationMessage.Payload.ToArray());
        if (!_deadLetters.Writer.TryWrite(letter))
        {
            _counters.DeadLetterDropped();
        }
    }

    /// <summary>MQTTnet refuses <c>$share/</c> filters itself (SharedSubscriptionsNotSupported) before this runs.</summary>
    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var refusal = _policy.CheckSubscribe(e.UserName, e.TopicFilter.Topic);
        if (refusal is not null)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            _counters.SubscriptionRefused();
            LogSubscriptionRefused(_logger, e.ClientId, refusal);
        }

        return Task.CompletedTask;
    }

    private Task ForgetSessionAsync(SessionDeletedEventArgs e)
    {
        if (_hold is not null && IsStoringConsumer(e.Id))
        {
            _hold.SessionEnded(e.Id);
        }

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

    [LoggerMessage(EventId = 714, Level = LogLevel.Warning, Message = "Gateway user {User} connected with the old client id {ClientId}; upgrade the gateway (it then connects with its user name)")]
    private static partial void LogLegacyClientId(ILogger logger, string clientId, string user);

    [LoggerMessage(EventId = 713, Level = LogLevel.Error, Message = "A refused publish on {Topic} could not be written to dead_letters: {Error}")]
    private static partial void LogDeadLetterFailed(ILogger logger, string topic, string error);
}

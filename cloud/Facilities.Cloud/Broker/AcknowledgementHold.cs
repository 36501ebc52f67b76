using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MQTTnet;
using MQTTnet.Packets;

namespace Facilities.Cloud.Broker;

/// <summary>
/// A QoS 1 or 2 PUBLISH whose acknowledgement (PUBACK, PUBREC) waits until every copy the broker queued for the
/// cloud's consumer in this process was acknowledged by it — which the consumer does only after the transaction that
/// handled the message committed. <see cref="Stored"/> is false when a copy was lost instead (the consumer's queue
/// overflowed or its session ended): then the sender must not be acknowledged at all.
/// </summary>
internal sealed class HeldPublish
{
    private readonly TaskCompletionSource<bool> _stored = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private int _copies;
    private bool _dispatched;

    /// <summary>A publish that waits for nothing (one the broker received before the hold existed, say).</summary>
    public static HeldPublish None { get; } = CreateNone();

    public Task<bool> Stored => _stored.Task;

    public void AddCopy()
    {
        lock (_lock)
        {
            _copies++;
        }
    }

    public void CopyStored()
    {
        lock (_lock)
        {
            _copies--;
            CompleteWhenDone();
        }
    }

    /// <summary>The broker has queued every copy (MQTTnet sends the acknowledgement only after that): no more will come.</summary>
    public void Dispatched()
    {
        lock (_lock)
        {
            _dispatched = true;
            CompleteWhenDone();
        }
    }

    public void Lost() => _stored.TrySetResult(false);

    private void CompleteWhenDone()
    {
        if (_dispatched && _copies <= 0)
        {
            _stored.TrySetResult(true);
        }
    }

    private static HeldPublish CreateNone()
    {
        var none = new HeldPublish();
        none.Dispatched();
        return none;
    }
}

/// <summary>
/// Links a publish as the connection received it (<see cref="LimitedChannelAdapter"/>, which holds its acknowledgement)
/// to the copies MQTTnet queues for the cloud's consumer and to the consumer's acknowledgements of them. The packet is
/// tagged with a user property between the adapter and <see cref="Claim"/>, the first place the broker sees the
/// message; the tag is removed there, so no subscriber ever sees it. A consumer's acknowledgement is matched to its
/// copies by session, topic and payload: the same message published twice (a gateway sending it again after a
/// reconnect) is stored once, and either acknowledgement says so.
/// </summary>
internal sealed class AcknowledgementHold
{
    private const string Tag = "facilities-held-publish";

    private readonly ConditionalWeakTable<MqttApplicationMessage, HeldPublish> _byMessage = [];
    private readonly Dictionary<long, HeldPublish> _tagged = [];
    private readonly Dictionary<ConsumerCopy, List<HeldPublish>> _copies = [];
    private readonly Lock _lock = new();
    private long _nextTag;

    /// <summary>Copies queued for the consumer and not yet acknowledged by it (for tests and diagnostics).</summary>
    public int PendingCopies
    {
        get
        {
            lock (_lock)
            {
                return _copies.Values.Sum(list => list.Count);
            }
        }
    }

    /// <summary>Called by the connection for each QoS 1 or 2 PUBLISH it received, before MQTTnet handles it.</summary>
    public HeldPublish Receive(MqttPublishPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var held = new HeldPublish();
        long tag;
        lock (_lock)
        {
            tag = ++_nextTag;
            _tagged[tag] = held;
        }

        // A client's own property of that name is dropped: only the broker tags.
        var properties = packet.UserProperties?.Where(p => p.Name != Tag).ToList() ?? [];
        var value = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(value, tag);
        properties.Add(new MqttUserProperty(Tag, new ReadOnlyMemory<byte>(value)));
        packet.UserProperties = properties;
        return held;
    }

    /// <summary>Removes the tag from a message about to be dispatched and remembers its held publish; null for an untagged one (a last will).</summary>
    public HeldPublish? Claim(MqttApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var properties = message.UserProperties;
        var index = properties?.FindIndex(p => p.Name == Tag) ?? -1;
        if (index < 0)
        {
            return null;
        }

        var value = properties![index].ValueBuffer;
        properties.RemoveAt(index);
        if (properties.Count == 0)
        {
            message.UserProperties = null;
        }

        HeldPublish? held;
        lock (_lock)
        {
            if (value.Length != sizeof(long) || !_tagged.Remove(BinaryPrimitives.ReadInt64BigEndian(value.Span), out held))
            {
                return null;
            }
        }

        _byMessage.AddOrUpdate(message, held);
        return held;
    }

    /// <summary>
    /// MQTTnet is about to queue a copy of <paramref name="message"/> for the consumer's session. The copy is counted
    /// here, before it is queued, because the consumer in this process can receive, store and acknowledge it before
    /// MQTTnet's "enqueued" event has run: counted only then, that acknowledgement would find nothing and the sender
    /// would never be acknowledged.
    /// </summary>
    public void Enqueuing(string consumerId, MqttApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_byMessage.TryGetValue(message, out var held))
        {
            return;
        }

        held.AddCopy();
        var copy = new ConsumerCopy(consumerId, message.Topic, message.Payload.ToArray());
        lock (_lock)
        {
            ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_copies, copy, out _);
            (list ??= []).Add(held);
        }
    }

    /// <summary>MQTTnet dropped the copy counted by <see cref="Enqueuing"/> (the consumer's queue was full): its sender must publish it again.</summary>
    public void Dropped(string consumerId, MqttApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_byMessage.TryGetValue(message, out var held))
        {
            return;
        }

        var copy = new ConsumerCopy(consumerId, message.Topic, message.Payload.ToArray());
        lock (_lock)
        {
            if (_copies.TryGetValue(copy, out var list) && list.Remove(held) && list.Count == 0)
            {
                _copies.Remove(copy);
            }
        }

        held.Lost();
    }

    /// <summary>The consumer acknowledged a delivery: every held publish of that content in its session is stored.</summary>
    public void Acknowledged(string consumerId, MqttPublishPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        List<HeldPublish>? stored = null;
        lock (_lock)
        {
            if (_copies.Count > 0)
            {
                _copies.Remove(new ConsumerCopy(consumerId, packet.Topic, packet.Payload.ToArray()), out stored);
            }
        }

        foreach (var held in stored ?? [])
        {
            held.CopyStored();
        }
    }

    /// <summary>The consumer's session ended: what was queued in it is gone, and its senders must send it again.</summary>
    public void SessionEnded(string consumerId)
    {
        List<HeldPublish> lost = [];
        lock (_lock)
        {
            foreach (var copy in _copies.Keys.Where(c => c.ConsumerId == consumerId).ToList())
            {
                if (_copies.Remove(copy, out var list))
                {
                    lost.AddRange(list);
                }
            }
        }

        foreach (var held in lost)
        {
            held.Lost();
        }
    }

    /// <summary>A copy in one consumer session, by content.</summary>
    private sealed class ConsumerCopy(string consumerId, string topic, byte[] payload) : IEquatable<ConsumerCopy>
    {
        private readonly int _hash = Hash(consumerId, topic, payload);

        public string ConsumerId => consumerId;

        public bool Equals(ConsumerCopy? other) =>
            other is not null && _hash == other._hash && consumerId == other.ConsumerId && topic == other.Topic && payload.AsSpan().SequenceEqual(other.Payload);

        public override bool Equals(object? obj) => Equals(obj as ConsumerCopy);

        public override int GetHashCode() => _hash;

        private string Topic => topic;

        private byte[] Payload => payload;

        private static int Hash(string consumerId, string topic, byte[] payload)
        {
            var hash = new HashCode();
            hash.Add(consumerId, StringComparer.Ordinal);
            hash.Add(topic, StringComparer.Ordinal);
            hash.AddBytes(payload);
            return hash.ToHashCode();
        }
    }
}

namespace Facilities.Cloud.Broker;

/// <summary>
/// Which client and user hold each retained message and how many bytes, so that one of them cannot fill the broker's
/// memory and <c>retained.json</c> (<see cref="BrokerLimits"/>: messages and bytes per client id and per user).
/// Replacing one's own message on a topic counts only the difference; an empty payload removes a message and is always
/// allowed. Pure and thread-safe.
/// </summary>
internal sealed class RetainedQuota(BrokerLimits limits)
{
    /// <summary>Holder of messages restored from disk whose gateway is no longer configured: counted against nobody.</summary>
    public const string Unattributed = "\0restored";

    private readonly Dictionary<string, Holding> _byTopic = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Total> _byUser = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Total> _byClient = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>
    /// Records a retained publish of <paramref name="bytes"/> payload bytes on <paramref name="topic"/>; null when it may
    /// be stored, otherwise why not (and nothing is recorded). A client without a user name counts under user "".
    /// </summary>
    public string? TryHold(string? user, string clientId, string topic, long bytes)
    {
        var userKey = user ?? string.Empty;
        lock (_lock)
        {
            var replaced = _byTopic.TryGetValue(topic, out var old) ? old : null;
            if (bytes == 0)
            {
                if (replaced is not null)
                {
                    Release(replaced);
                    _byTopic.Remove(topic);
                }

                return null;
            }

            var byUser = Without(_byUser.GetValueOrDefault(userKey), replaced, replaced?.User == userKey);
            var byClient = Without(_byClient.GetValueOrDefault(clientId), replaced, replaced?.ClientId == clientId);
            if (byClient.Messages + 1 > limits.RetainedMessagesPerClient || byClient.Bytes + bytes > limits.RetainedBytesPerClient)
            {
                return $"retained limit: client '{clientId}' would hold {byClient.Messages + 1} retained messages of {byClient.Bytes + bytes} bytes " +
                       $"(at most {limits.RetainedMessagesPerClient} and {limits.RetainedBytesPerClient} bytes per client, Broker:Limits)";
            }

            if (byUser.Messages + 1 > limits.RetainedMessagesPerUser || byUser.Bytes + bytes > limits.RetainedBytesPerUser)
            {
                return $"retained limit: user '{userKey}' would hold {byUser.Messages + 1} retained messages of {byUser.Bytes + bytes} bytes " +
                       $"(at most {limits.RetainedMessagesPerUser} and {limits.RetainedBytesPerUser} bytes per user, Broker:Limits)";
            }

            if (replaced is not null)
            {
                Release(replaced);
            }

            Hold(new Holding(userKey, clientId, bytes), topic);
            return null;
        }
    }

    /// <summary>Messages restored at start: recorded without limits (they were accepted once).</summary>
    public void Restore(string user, string clientId, string topic, long bytes)
    {
        lock (_lock)
        {
            if (_byTopic.TryGetValue(topic, out var old))
            {
                Release(old);
            }

            Hold(new Holding(user, clientId, bytes), topic);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _byTopic.Clear();
            _byUser.Clear();
            _byClient.Clear();
        }
    }

    private static Total Without(Total total, Holding? replaced, bool same) =>
        replaced is not null && same ? new Total(total.Messages - 1, total.Bytes - replaced.Bytes) : total;

    private void Hold(Holding holding, string topic)
    {
        _byTopic[topic] = holding;
        Add(_byUser, holding.User, 1, holding.Bytes);
        Add(_byClient, holding.ClientId, 1, holding.Bytes);
    }

    private void Release(Holding holding)
    {
        Add(_byUser, holding.User, -1, -holding.Bytes);
        Add(_byClient, holding.ClientId, -1, -holding.Bytes);
    }

    private static void Add(Dictionary<string, Total> totals, string key, int messages, long bytes)
    {
        var total = totals.GetValueOrDefault(key);
        var next = new Total(total.Messages + messages, total.Bytes + bytes);
        if (next.Messages <= 0)
        {
            totals.Remove(key);
        }
        else
        {
            totals[key] = next;
        }
    }

    private sealed record Holding(string User, string ClientId, long Bytes);

    private readonly record struct Total(int Messages, long Bytes);
}

using Facilities.Telemetry;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// Puts a batch back in each gateway's own order. The consumer slots each receive every n-th message of the shared
/// subscription and the broker delivers them at their own paces, so a gateway's messages reach a batch out of the
/// order it published them in: a port's "battery full" event ahead of the readings that showed its power falling, and
/// a rule then judges a moment that never happened. Within a batch, each gateway's messages are put in sequence-number
/// order (what the gateway did, events before the telemetry of the same poll). A last will (sequence 0, published by the
/// broker) stays between the messages that arrived before and after it. Gateways keep their first-arrival order among
/// themselves. Stable and linear in the batch for an ordered batch.
/// </summary>
public static class GatewayOrder
{
    /// <summary>The batch in each gateway's order.</summary>
    public static List<Envelope> Sort(List<Envelope> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count < 2 || InOrder(batch))
        {
            return batch;
        }

        // Key per message: the gateway's first place in the batch, the number of last wills of that gateway before it,
        // then its sequence number (a will sorts after the messages of its stretch), then its place (stability).
        var first = new Dictionary<(string, string), int>();
        var wills = new Dictionary<(string, string), int>();
        var keys = new (int Gateway, int Stretch, long Seq, int Place)[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var envelope = batch[i];
            var gateway = (envelope.Site, envelope.Gateway);
            if (!first.TryGetValue(gateway, out var place))
            {
                first[gateway] = place = i;
            }

            var stretch = wills.GetValueOrDefault(gateway);
            if (envelope.Message is GatewayStatusMessage { Seq: 0 })
            {
                keys[i] = (place, stretch, long.MaxValue, i);
                wills[gateway] = stretch + 1;
            }
            else
            {
                keys[i] = (place, stretch, envelope.Message.Seq, i);
            }
        }

        var order = Enumerable.Range(0, batch.Count).ToArray();
        Array.Sort(keys, order);
        return order.Select(i => batch[i]).ToList();
    }

    /// <summary>Whether every gateway's numbers already rise through the batch (no last will among them): nothing to do.</summary>
    private static bool InOrder(List<Envelope> batch)
    {
        var last = new Dictionary<(string, string), long>();
        foreach (var envelope in batch)
        {
            var seq = envelope.Message.Seq;
            var gateway = (envelope.Site, envelope.Gateway);
            if (seq == 0 || (last.TryGetValue(gateway, out var before) && seq < before))
            {
                return false;
            }

            last[gateway] = seq;
        }

        return true;
    }
}

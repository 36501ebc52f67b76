namespace Facilities.Cloud.Pages;

/// <summary>
/// Counts open live streams per client address and in total (<see cref="PageOptions.LiveStreamsPerClient"/>,
/// <see cref="PageOptions.LiveStreams"/>). A stream is cheap but not free — a database query per interval and a held
/// connection — and the chargers' stream is open to anyone, so without a cap a single client could hold thousands.
/// </summary>
internal sealed class LiveStreamGate(PageOptions options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _perClient = new(StringComparer.Ordinal);
    private int _total;

    /// <summary>Streams open now, from everyone.</summary>
    public int Open
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    /// <summary>A lease to dispose when the stream ends; null with the reason when the client or the instance is at its limit.</summary>
    public IDisposable? TryEnter(string client, out string? refusal)
    {
        lock (_lock)
        {
            var mine = _perClient.GetValueOrDefault(client);
            if (mine >= options.LiveStreamsPerClient)
            {
                refusal = $"this address already has {mine} live streams open (at most {options.LiveStreamsPerClient}); close one, or reload less often";
                return null;
            }

            if (_total >= options.LiveStreams)
            {
                refusal = $"the server has {_total} live streams open, its limit; the page falls back to reloading every 15 s";
                return null;
            }

            _perClient[client] = mine + 1;
            _total++;
            refusal = null;
            return new Lease(this, client);
        }
    }

    private void Leave(string client)
    {
        lock (_lock)
        {
            _total--;
            if (_perClient[client] <= 1)
            {
                _perClient.Remove(client);
            }
            else
            {
                _perClient[client]--;
            }
        }
    }

    private sealed class Lease(LiveStreamGate gate, string client) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Leave(client);
            }
        }
    }
}

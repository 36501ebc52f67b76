namespace Facilities.Modbus.Transport;

/// <summary>Bytes arriving on a line, read with a timeout. A stream may implement it itself (tests' scripted lines do).</summary>
internal interface ILineInput : IAsyncDisposable
{
    /// <summary>The count read, -1 if <paramref name="wait"/> passed in silence, 0 at end of stream.</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Forgets what arrived and was not read.</summary>
    void DiscardBuffered();
}

/// <summary>
/// Reads a line's stream continuously into a bounded buffer, so the RTU framing can wait for bytes with a timeout
/// without ever cancelling a read on the stream itself: System.IO.Ports on Unix can lose the bytes of a read that
/// is cancelled as data arrives, and the framing times out reads constantly (every gap and every silence).
/// The stream's read is cancelled only when the receiver is stopped. If nobody consumes, the oldest bytes are
/// dropped (counted): on an RTU line stale bytes are worthless anyway.
/// </summary>
internal sealed class LineReceiver : ILineInput
{
    private readonly Stream _stream;
    private readonly byte[] _ring = new byte[4096];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private int _start;
    private int _count;
    private bool _ended;
    private Exception? _failure;
    private TaskCompletionSource? _waiter;

    public LineReceiver(Stream stream)
    {
        _stream = stream;
        _pump = PumpAsync();
    }

    /// <summary>Bytes thrown away because they arrived while the buffer was full.</summary>
    public long Overflowed { get; private set; }

    /// <summary>
    /// Copies what has arrived into <paramref name="buffer"/>, waiting up to <paramref name="wait"/> for the first
    /// byte (<see cref="Timeout.InfiniteTimeSpan"/> waits for ever). Returns the count, -1 if the wait passed in
    /// silence, or 0 when the stream has ended; rethrows what broke the stream.
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, TimeSpan wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (_count > 0)
                {
                    var n = Math.Min(buffer.Length, _count);
                    var first = Math.Min(n, _ring.Length - _start);
                    _ring.AsSpan(_start, first).CopyTo(buffer.Span);
                    _ring.AsSpan(0, n - first).CopyTo(buffer.Span[first..]);
                    _start = (_start + n) % _ring.Length;
                    _count -= n;
                    return n;
                }

                if (_failure is not null)
                {
                    throw new IOException(_failure.Message, _failure);
                }

                if (_ended)
                {
                    return 0;
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = _waiter.Task;
            }

            try
            {
                await (wait == Timeout.InfiniteTimeSpan ? signal.WaitAsync(cancellationToken) : signal.WaitAsync(wait, cancellationToken));
            }
            catch (TimeoutException)
            {
                return -1;
            }
        }
    }

    /// <summary>Forgets whatever has arrived and not been read (stale bytes before a new request).</summary>
    public void DiscardBuffered()
    {
        lock (_gate)
        {
            _start = _count = 0;
        }
    }

    private async Task PumpAsync()
    {
        var chunk = new byte[512];
        try
        {
            while (true)
            {
                var read = await _stream.ReadAsync(chunk, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                Append(chunk.AsSpan(0, read));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            lock (_gate)
            {
                _failure = e;
            }
        }
        finally
        {
            lock (_gate)
            {
                _ended = true;
                Wake();
            }
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            foreach (var b in bytes)
            {
                if (_count == _ring.Length)
                {
                    _start = (_start + 1) % _ring.Length;
                    _count--;
                    Overflowed++;
                }

                _ring[(_start + _count) % _ring.Length] = b;
                _count++;
            }

            Wake();
        }
    }

    private void Wake()
    {
        _waiter?.TrySetResult();
        _waiter = null;
    }

    /// <summary>Stops reading (cancelling the stream's pending read); the stream itself stays with its owner.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _pump;
        }
        finally
        {
            _stop.Dispose();
        }
    }
}

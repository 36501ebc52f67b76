using System.Diagnostics;
using System.Threading.Tasks.Sources;
using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Transport;

/// <summary>
/// One request in flight on a TCP connection, pooled per connection so steady-state polling allocates nothing.
/// The receive loop, the timeout timer and the caller's cancellation race to complete it; the first one wins.
/// </summary>
internal sealed class PendingExchange : IValueTaskSource<int>, IDisposable
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Done = 2;

    private ManualResetValueTaskSourceCore<int> _core;
    private readonly Timer _timer;
    private readonly Action<PendingExchange> _onAbandoned;
    private int _state;
    private long _deadline;
    private Memory<byte> _response;

    public PendingExchange(Action<PendingExchange> onAbandoned)
    {
        _onAbandoned = onAbandoned;
        // Continuations run on the completing thread (receive loop or timer): one thread hop fewer per request.
        _core.RunContinuationsAsynchronously = false;
        _timer = new Timer(static s => ((PendingExchange)s!).OnTimer(), this, System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
    }

    /// <summary>The whole frame sent for this exchange; owned by it so requests in flight never share a buffer.</summary>
    public byte[] SendBuffer { get; } = new byte[ModbusLimits.MaxTcpFrameLength];

    public ushort TransactionId { get; private set; }

    public byte Unit { get; private set; }

    public TimeSpan Timeout { get; private set; }

    public ValueTask<int> Task => new(this, _core.Version);

    public void Begin(ushort transactionId, byte unit, Memory<byte> response, TimeSpan timeout)
    {
        TransactionId = transactionId;
        Unit = unit;
        Timeout = timeout;
        _response = response;
        Volatile.Write(ref _state, Waiting);
    }

    public void StartTimer()
    {
        _deadline = Stopwatch.GetTimestamp() + (long)(Timeout.TotalSeconds * Stopwatch.Frequency);
        _timer.Change(Timeout, System.Threading.Timeout.InfiniteTimeSpan);
    }

    /// <summary>Copies the response PDU in and completes; false if the exchange already ended (timed out, cancelled).</summary>
    public bool TryComplete(ReadOnlySpan<byte> pdu)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) != Waiting)
        {
            return false;
        }

        _timer.Change(System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
        if (pdu.Length > _response.Length)
        {
            _core.SetException(new ModbusFrameException(FrameError.TooLong, $"Response PDU of {pdu.Length} bytes does not fit."));
            return true;
        }

        pdu.CopyTo(_response.Span);
        _core.SetResult(pdu.Length);
        return true;
    }

    public bool TryFail(Exception exception)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) != Waiting)
        {
            return false;
        }

        _timer.Change(System.Threading.Timeout.Infinite, System.Threading.Timeout.Infinite);
        _onAbandoned(this);
        _core.SetException(exception);
        return true;
    }

    /// <summary>Makes the object ready for the next exchange; call after the awaiter has read the result.</summary>
    public void Reset()
    {
        Volatile.Write(ref _state, Idle);
        _response = default;
        _core.Reset();
    }

    private void OnTimer()
    {
        if (Volatile.Read(ref _state) != Waiting)
        {
            return;
        }

        // A tick queued before the object was reused, or a timer firing a little early, must not end the exchange
        // before its deadline; re-arm for what is left instead.
        var left = _deadline - Stopwatch.GetTimestamp();
        if (left > 0)
        {
            _timer.Change(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency) + TimeSpan.FromMilliseconds(1), System.Threading.Timeout.InfiniteTimeSpan);
            return;
        }

        TryFail(new ModbusTimeoutException(
            $"unit {Unit}: no response to transaction {TransactionId} within {Timeout.TotalMilliseconds:0} ms"));
    }

    public int GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public void Dispose() => _timer.Dispose();
}

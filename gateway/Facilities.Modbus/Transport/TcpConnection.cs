using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Facilities.Modbus.Framing;
using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Transport;

/// <summary>
/// One Modbus TCP connection: requests go out under a send lock, a single receive loop reads MBAP frames and hands
/// each to the exchange with the same transaction id. Frames nobody waits for (late or stray) are counted and dropped.
/// A frame that breaks MBAP framing poisons the stream, so the connection is closed and every waiter told why.
/// </summary>
internal sealed class TcpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly string _endpoint;
    private readonly Dictionary<ushort, PendingExchange> _pending = [];
    private readonly Stack<PendingExchange> _pool = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly Action<PendingExchange> _forget;
    private Exception? _failure;

    public TcpConnection(Socket socket, string endpoint)
    {
        _socket = socket;
        _endpoint = endpoint;
        _forget = Forget;
        _ = ReceiveLoopAsync();
    }

    public bool IsBroken => Volatile.Read(ref _failure) is not null;

    /// <summary>Frames that arrived for no waiting request (late after a timeout, duplicated, or invented).</summary>
    public long DiscardedFrames { get; private set; }

    // Pooled, like every await on a request's path, so steady-state polling allocates nothing.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ExchangeAsync(ushort transactionId, byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var exchange = Rent();
        exchange.Begin(transactionId, unit, response, timeout);
        lock (_pending)
        {
            if (_failure is { } failure)
            {
                Return(exchange);
                throw Broken(failure);
            }

            _pending[transactionId] = exchange;
        }

        var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static (s, ct) => ((PendingExchange)s!).TryFail(new OperationCanceledException(ct)), exchange)
            : default;
        try
        {
            var length = Mbap.WriteFrame(exchange.SendBuffer, transactionId, unit, request.Span);
            await SendAsync(exchange.SendBuffer.AsMemory(0, length));
            exchange.StartTimer();
            return await exchange.Task;
        }
        finally
        {
            await registration.DisposeAsync();
            Forget(exchange);
            Return(exchange);
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> frame)
    {
        await _sendGate.WaitAsync(_closing.Token);
        try
        {
            await _socket.SendAsync(frame, SocketFlags.None, _closing.Token);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            var failure = Fail(new ModbusConnectionException($"{_endpoint}: send failed: {e.Message}", e));
            throw Broken(failure);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var reader = new MbapReader();
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveAsync(reader.FreeSpace, SocketFlags.None, _closing.Token);
                if (received == 0)
                {
                    Fail(new ModbusConnectionException($"{_endpoint}: the device closed the connection"));
                    return;
                }

                reader.Advance(received);
                while (reader.TryRead(out var transactionId, out var unit, out var pdu))
                {
                    Dispatch(transactionId, unit, pdu.Span);
                }

                if (reader.Error != FrameError.None)
                {
                    Fail(new ModbusFrameException(reader.Error, $"{_endpoint}: invalid MBAP header ({reader.Error}); connection closed"));
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Fail(new ModbusConnectionException($"{_endpoint}: receive failed: {e.Message}", e));
        }
    }

    private void Dispatch(ushort transactionId, byte unit, ReadOnlySpan<byte> pdu)
    {
        PendingExchange? exchange;
        lock (_pending)
        {
            if (!_pending.Remove(transactionId, out exchange))
            {
                DiscardedFrames++;
                return;
            }
        }

        if (unit != exchange.Unit)
        {
            exchange.TryFail(new ModbusFrameException(FrameError.UnexpectedUnit,
                $"{_endpoint}: transaction {transactionId} was sent to unit {exchange.Unit} but answered by unit {unit}"));
        }
        else if (!exchange.TryComplete(pdu))
        {
            DiscardedFrames++;
        }
    }

    private Exception Fail(Exception failure)
    {
        PendingExchange[] waiting;
        lock (_pending)
        {
            if (_failure is not null)
            {
                return _failure;
            }

            _failure = failure;
            waiting = [.. _pending.Values];
            _pending.Clear();
        }

        _closing.Cancel();
        _socket.Dispose();
        foreach (var exchange in waiting)
        {
            exchange.TryFail(Broken(failure));
        }

        return failure;
    }

    private static ModbusTransportException Broken(Exception failure) => failure switch
    {
        ModbusFrameException frame => new ModbusFrameException(frame.Error, frame.Message),
        _ => new ModbusConnectionException(failure.Message, failure.InnerException),
    };

    private void Forget(PendingExchange exchange)
    {
        lock (_pending)
        {
            if (_pending.TryGetValue(exchange.TransactionId, out var current) && ReferenceEquals(current, exchange))
            {
                _pending.Remove(exchange.TransactionId);
            }
        }
    }

    private PendingExchange Rent()
    {
        lock (_pool)
        {
            return _pool.TryPop(out var exchange) ? exchange : new PendingExchange(_forget);
        }
    }

    private void Return(PendingExchange exchange)
    {
        exchange.Reset();
        lock (_pool)
        {
            _pool.Push(exchange);
        }
    }

    public ValueTask DisposeAsync()
    {
        Fail(new ModbusConnectionException($"{_endpoint}: connection closed by the master"));
        lock (_pool)
        {
            foreach (var exchange in _pool)
            {
                exchange.Dispose();
            }

            _pool.Clear();
        }

        _closing.Dispose();
        _sendGate.Dispose();
        return ValueTask.CompletedTask;
    }
}

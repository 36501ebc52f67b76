using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Transport;

/// <summary>Modbus TCP (MBAP): transaction ids, up to <see cref="ModbusTcpMasterOptions.MaxRequestsInFlight"/> requests pipelined on one connection.</summary>
internal sealed class TcpTransport(ModbusTcpMasterOptions options) : IModbusTransport
{
    private readonly SemaphoreSlim _inFlight = new(options.MaxRequestsInFlight, options.MaxRequestsInFlight);
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private TcpConnection? _connection;
    private int _nextTransactionId;

    public string Endpoint { get; } = $"tcp://{options.Host}:{options.Port}";

    public bool UnitZeroIsBroadcast => false;

    public async ValueTask ConnectAsync(CancellationToken cancellationToken) => await GetConnectionAsync(cancellationToken);

    // Pooled, like every await on a request's path, so steady-state polling allocates nothing.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ExchangeAsync(byte unit, ReadOnlyMemory<byte> request, Memory<byte> response, CancellationToken cancellationToken)
    {
        await _inFlight.WaitAsync(cancellationToken);
        try
        {
            var connection = await GetConnectionAsync(cancellationToken);
            var transactionId = (ushort)Interlocked.Increment(ref _nextTransactionId);
            return await connection.ExchangeAsync(transactionId, unit, request, response, options.RequestTimeout, cancellationToken);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private ValueTask<TcpConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = Volatile.Read(ref _connection);
        return connection is { IsBroken: false } ? ValueTask.FromResult(connection) : ReconnectAsync(cancellationToken);
    }

    private async ValueTask<TcpConnection> ReconnectAsync(CancellationToken cancellationToken)
    {
        await _connectGate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsBroken: false } current)
            {
                return current;
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
                _connection = null;
            }

            var socket = await OpenSocketAsync(cancellationToken);
            Volatile.Write(ref _connection, new TcpConnection(socket, Endpoint));
            return _connection;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task<Socket> OpenSocketAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (IPAddress.TryParse(options.Host, out var address))
            {
                await socket.ConnectAsync(new IPEndPoint(address, options.Port), timeout.Token);
            }
            else
            {
                await socket.ConnectAsync(options.Host, options.Port, timeout.Token);
            }

            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            var reason = e is OperationCanceledException ? $"no answer within {options.ConnectTimeout.TotalSeconds:0.#} s" : e.Message;
            throw new ModbusConnectionException($"{Endpoint}: cannot connect: {reason}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask CloseAsync()
    {
        await _connectGate.WaitAsync();
        try
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
                _connection = null;
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _inFlight.Dispose();
        _connectGate.Dispose();
    }
}

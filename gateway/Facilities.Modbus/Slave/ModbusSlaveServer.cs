using System.Net;
using System.Net.Sockets;
using Facilities.Modbus.Framing;
using Facilities.Modbus.Protocol;

namespace Facilities.Modbus.Slave;

/// <summary>
/// A TCP listener that serves a <see cref="ModbusSlave"/> to any number of masters, speaking either Modbus TCP
/// (MBAP) or RTU frames over TCP (as a serial-to-Ethernet converter would present its line).
/// </summary>
public sealed class ModbusSlaveServer : IAsyncDisposable
{
    private readonly ModbusSlave _slave;
    private readonly Socket _listener;
    private readonly RtuTiming? _rtuTiming;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private int _connections;
    private long _badFrames;

    private ModbusSlaveServer(ModbusSlave slave, IPEndPoint endpoint, RtuTiming? rtuTiming)
    {
        _slave = slave;
        _rtuTiming = rtuTiming;
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endpoint);
            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        LocalEndpoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Serves Modbus TCP on <paramref name="endpoint"/> (port 0 picks a free port; see <see cref="LocalEndpoint"/>).</summary>
    public static ModbusSlaveServer StartTcp(ModbusSlave slave, IPEndPoint endpoint) => new(slave, endpoint, null);

    /// <summary>Serves RTU frames over TCP on <paramref name="endpoint"/>.</summary>
    public static ModbusSlaveServer StartRtuOverTcp(ModbusSlave slave, IPEndPoint endpoint, RtuTiming? timing = null) =>
        new(slave, endpoint, timing ?? RtuTiming.ForNetwork());

    public IPEndPoint LocalEndpoint { get; }

    public int ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>Frames that broke the protocol (bad MBAP header, bad CRC, cut short); such a TCP connection is closed.</summary>
    public long BadFrames => Interlocked.Read(ref _badFrames);

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            client.NoDelay = true;
            _ = ServeConnectionAsync(client);
        }
    }

    private async Task ServeConnectionAsync(Socket client)
    {
        Interlocked.Increment(ref _connections);
        try
        {
            if (_rtuTiming is null)
            {
                await ServeMbapAsync(client);
            }
            else
            {
                await using var stream = new NetworkStream(client, ownsSocket: false);
                var bad = await RtuSlaveLine.ServeAsync(_slave, stream, _rtuTiming, _stopping.Token);
                Interlocked.Add(ref _badFrames, bad);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException or ModbusTransportException)
        {
            // The master went away or the server is stopping; other connections carry on.
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    private async Task ServeMbapAsync(Socket client)
    {
        var reader = new MbapReader();
        var response = new byte[ModbusLimits.MaxTcpFrameLength];
        while (true)
        {
            var received = await client.ReceiveAsync(reader.FreeSpace, SocketFlags.None, _stopping.Token);
            if (received == 0)
            {
                return;
            }

            reader.Advance(received);
            while (reader.TryRead(out var transactionId, out var unit, out var pdu))
            {
                var delay = _slave.DelayFor(unit);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _stopping.Token);
                }

                var length = _slave.Handle(unit, pdu.Span, response.AsSpan(Mbap.HeaderLength), serial: false);
                if (length > 0)
                {
                    if (_slave.CorruptsFor(unit))
                    {
                        response[Mbap.HeaderLength + 1] ^= 0x01;
                    }

                    var total = Mbap.WriteFrame(response, transactionId, unit, response.AsSpan(Mbap.HeaderLength, length));
                    await client.SendAsync(response.AsMemory(0, total), SocketFlags.None, _stopping.Token);
                }
            }

            if (reader.Error != FrameError.None)
            {
                // Without a trustworthy length there is no next frame boundary: drop the connection.
                Interlocked.Increment(ref _badFrames);
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        _stopping.Dispose();
    }
}

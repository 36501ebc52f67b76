using System.Net;
using System.Net.Sockets;

namespace Facilities.Modbus.Tests.Support;

/// <summary>What a scripted device does with one request: send these chunks (each after its delay), or hang up.</summary>
public sealed record Reply(byte[] Bytes, TimeSpan Delay = default, bool Close = false)
{
    public static Reply HangUp { get; } = new([], Close: true);
}

/// <summary>
/// A TCP peer that answers each request chunk with whatever the test scripts, including nonsense. It stands in for
/// broken devices and converters the real peers cannot imitate (late, stray, lying and truncated frames).
/// </summary>
public sealed class ScriptedDevice : IAsyncDisposable
{
    private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);
    private readonly Func<byte[], IEnumerable<Reply>> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;

    public ScriptedDevice(Func<byte[], IEnumerable<Reply>> script)
    {
        _script = script;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _loop = AcceptAsync();
    }

    public int Port { get; }

    public int Connections => Volatile.Read(ref _connections);

    public List<byte[]> Requests { get; } = [];

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var _ = client;
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                var request = buffer[..n];
                lock (Requests)
                {
                    Requests.Add(request);
                }

                foreach (var reply in _script(request))
                {
                    if (reply.Delay > TimeSpan.Zero)
                    {
                        await Task.Delay(reply.Delay, _stop.Token);
                    }

                    if (reply.Close)
                    {
                        return;
                    }

                    await client.SendAsync(reply.Bytes, SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop;
    }
}

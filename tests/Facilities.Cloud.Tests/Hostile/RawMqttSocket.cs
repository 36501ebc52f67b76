using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>
/// A bare TCP socket to a broker that sends MQTT 3.1.1 bytes built here, so a test can send what no client library
/// would: a huge announced length, half a packet, a wildcard topic.
/// </summary>
internal sealed class RawMqttSocket : IDisposable
{
    private readonly Socket _socket;

    private RawMqttSocket(Socket socket) => _socket = socket;

    public static async Task<RawMqttSocket> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port, cancellationToken);
        return new RawMqttSocket(socket);
    }

    /// <summary>Sends bytes; a broker that already closed the connection may reset it mid-way, which is not an error here.</summary>
    public async Task SendAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Logs in as MQTT 3.1.1 and returns the CONNACK's return code (0 = accepted).</summary>
    public async Task<int> LoginAsync(string clientId, string username, string password, CancellationToken cancellationToken)
    {
        await SendAsync(Connect(clientId, username, password), cancellationToken);
        var connAck = new byte[4];
        var read = 0;
        while (read < connAck.Length)
        {
            var n = await _socket.ReceiveAsync(connAck.AsMemory(read), SocketFlags.None, cancellationToken);
            Assert.True(n > 0, "the broker closed the connection instead of answering the CONNECT");
            read += n;
        }

        Assert.Equal(0x20, connAck[0]);
        return connAck[3];
    }

    /// <summary>Waits until the broker closes the connection; fails the test if it is still open after <paramref name="deadline"/>.</summary>
    public async Task<TimeSpan> WaitUntilClosedAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        var buffer = new byte[4096];
        try
        {
            while (await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Reset by the broker: closed too.
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"the broker kept the connection open for {deadline.TotalSeconds} s");
        }

        return started.Elapsed;
    }

    /// <summary>Whether the broker has closed the connection (without waiting).</summary>
    public bool IsClosedByBroker()
    {
        try
        {
            return _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public void Dispose() => _socket.Dispose();

    public static byte[] Connect(string clientId, string username, string password)
    {
        var body = new List<byte> { 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x80 | 0x40 | 0x02, 0, 60 };
        AddString(body, clientId);
        AddString(body, username);
        AddString(body, password);
        return Packet(0x10, body);
    }

    /// <summary>A QoS 1 PUBLISH (packet id 1).</summary>
    public static byte[] Publish(string topic, byte[] payload, bool retain)
    {
        var body = new List<byte>();
        AddString(body, topic);
        body.AddRange([0, 1]);
        body.AddRange(payload);
        return Packet((byte)(0x30 | 0x02 | (retain ? 1 : 0)), body);
    }

    /// <summary>A fixed header: the type byte and the remaining length as MQTT's variable-length integer.</summary>
    public static byte[] FixedHeader(byte type, int remainingLength)
    {
        var header = new List<byte> { type };
        do
        {
            var digit = (byte)(remainingLength % 128);
            remainingLength /= 128;
            header.Add(remainingLength > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (remainingLength > 0);
        return [.. header];
    }

    private static byte[] Packet(byte type, List<byte> body) => [.. FixedHeader(type, body.Count), .. body];

    private static void AddString(List<byte> body, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        body.Add((byte)(bytes.Length >> 8));
        body.Add((byte)(bytes.Length & 0xFF));
        body.AddRange(bytes);
    }
}

using System.Net;
using System.Net.Sockets;

namespace Facilities.Testing;

/// <summary>Free loopback ports for servers the tests start, and a probe for "is it listening yet".</summary>
public static class FreePort
{
    /// <summary>A port the kernel just handed out on 127.0.0.1 (free now; the server binds it next).</summary>
    public static int Next()
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

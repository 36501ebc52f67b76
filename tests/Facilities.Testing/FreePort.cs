using System.Net;
using System.Net.Sockets;

namespace Facilities.Testing;

/// <summary>Free loopback ports for servers the tests start, and a probe for "is it listening yet".</summary>
public static class FreePort
{
    /// <summary>A port the kernel just handed out on 127.0.0.1 (free now; the server binds it next).</summary>
    /// <summary>
    /// Ports a server's start tries: a port is free when chosen, and another test's server may bind it before this one
    /// does.
    /// </summary>
    public const int Attempts = 3;

    /// <summary>What a server says when another process bound its port first.</summary>
    public const string Taken = "Address already in use";

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

using System.Net;
using System.Net.Sockets;

namespace Facilities.Gateway.Benchmarks.Processes;

internal static class FreePort
{
    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int Pick()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>True if something accepts connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool InUse(int port)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

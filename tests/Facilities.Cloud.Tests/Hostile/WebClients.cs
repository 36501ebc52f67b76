using System.Net;
using System.Net.Sockets;
using Facilities.Cloud.Tests.EndToEnd;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>
/// HTTP clients as a hostile (or ordinary) visitor has them: a browser-like client with a cookie jar, optionally
/// connecting from another loopback address (127.0.0.2, …) so the cloud sees a different client.
/// </summary>
internal static class WebClients
{
    /// <summary>A client without redirects, with its own cookies, connecting from <paramref name="from"/> (default 127.0.0.1).</summary>
    public static HttpClient Browser(CloudHost cloud, string from = "127.0.0.1")
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            CookieContainer = new CookieContainer(),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = cloud.BaseAddress };
    }

    /// <summary>Posts the sign-in form as the sign-in page would (with the site's own Origin unless told otherwise).</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string name, string password, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = name, ["password"] = password, ["returnUrl"] = string.Empty }),
        };
        request.Headers.Accept.ParseAdd("text/html");
        request.Headers.TryAddWithoutValidation("Origin", origin ?? OwnOrigin(client));
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>The client's base address as a browser's Origin header writes it.</summary>
    public static string OwnOrigin(HttpClient client) => client.BaseAddress!.GetLeftPart(UriPartial.Authority);
}

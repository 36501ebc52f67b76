using System.Net;
using System.Net.Sockets;
using Facilities.Cloud.Tests.EndToEnd;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>A broker that accepts the TCP connection and never answers CONNECT must not hold the consumer for ever.</summary>
public sealed class ConnectTimeoutTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Consumer_BrokerAcceptsButNeverAnswers_GivesUpAfterTheConnectTimeoutAndTriesAgain()
    {
        // A silent listener: it takes connections and reads nothing, as a hung broker or a wrong port behind a proxy would.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<TcpClient>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptTcpClientAsync(stop.Token);
                lock (accepted)
                {
                    accepted.Add(socket);
                }
            }
        }, Ct);

        await using var cloud = await CloudHost.StartAsync(((IPEndPoint)listener.LocalEndpoint).Port, Ct,
            new Dictionary<string, string?> { ["Mqtt:ConnectTimeout"] = "00:00:01" }, waitForConsumer: false);

        // Without the timeout the consumer waits on the first connection for ever; with it, it gives up and connects
        // again (after its 1 s backoff).
        await Eventually.HoldsWithinAsync(() => Count() >= 2, TimeSpan.FromSeconds(30), Ct, TimeSpan.FromMilliseconds(100));

        Assert.True(Count() >= 2, $"the consumer connected {Count()} time(s) to a broker that never answered");
        await stop.CancelAsync();
        lock (accepted)
        {
            accepted.ForEach(s => s.Dispose());
        }

        await accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);

        int Count()
        {
            lock (accepted)
            {
                return accepted.Count;
            }
        }
    }
}

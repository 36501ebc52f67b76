using Facilities.Cloud.Tests.Broker;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>Alone in its collection: it measures the test process' managed heap, which other tests running beside it would move.</summary>
[CollectionDefinition(nameof(HostileBrokerMemoryTests), DisableParallelization = true)]
public sealed class HostileBrokerMemoryCollection;

/// <summary>The finding of issue 17 as reported: four CONNECTs announcing 256 MB each cost MQTTnet's own listener over 500 MB.</summary>
[Collection(nameof(HostileBrokerMemoryTests))]
public sealed class HostileBrokerMemoryTests
{
    private const long Margin = 32L * 1024 * 1024;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FourConnects_Announcing256MegabytesEach_AreClosedWithoutGrowingTheHeap()
    {
        await using var broker = await RunningBroker.StartAsync(Token);
        var sockets = new List<RawMqttSocket>();
        try
        {
            var before = GC.GetTotalMemory(forceFullCollection: true);
            var peak = before;
            for (var i = 0; i < 4; i++)
            {
                var socket = await RawMqttSocket.ConnectAsync(broker.Port, Token);
                sockets.Add(socket);
                await socket.SendAsync([.. RawMqttSocket.FixedHeader(0x10, 268_435_455), 0, 4, (byte)'M', (byte)'Q'], Token);
            }

            // Sampled while waiting: a broker that buffers the announced bodies holds them as long as the sockets stay open.
            await Eventually.HoldsWithinAsync(
                () =>
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                    return sockets.TrueForAll(s => s.IsClosedByBroker());
                },
                TimeSpan.FromSeconds(10), Token, TimeSpan.FromMilliseconds(20));

            peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
            Assert.True(peak - before < Margin, $"the heap grew by {(peak - before) / (1024 * 1024)} MB");
            Assert.All(sockets, s => Assert.True(s.IsClosedByBroker(), "a connection announcing 256 MB is still open"));
            Assert.Equal(4, broker.Broker.Counters.PacketsTooLarge);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }
}

using static Facilities.Cloud.Tests.TelemetryStore.InfluxTesting;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>InfluxDB going away and coming back while the writer runs (a server of its own, since it is stopped).</summary>
public sealed class InfluxOutageTests
{
    private readonly CancellationToken _cancellation = TestContext.Current.CancellationToken;

    [Fact]
    public async Task InfluxStopped_LinesBufferedAndRetried_AllPresentAfterRestart()
    {
        await using var server = await InfluxServer.StartAsync(_cancellation);
        await server.CreateDatabaseAsync("telemetry", _cancellation);
        using var writer = Writer(V1(server.Url, "telemetry"), out var metrics);
        await writer.StartAsync(_cancellation);
        for (var n = 1; n <= 10; n++)
        {
            writer.Accept(Envelopes.Lift(n));
        }

        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Snapshot().Written == 10), "the first lines are written", Patience, TestContext.Current.CancellationToken);

        await server.StopAsync();
        for (var n = 11; n <= 40; n++)
        {
            writer.Accept(Envelopes.Lift(n));
        }

        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Snapshot().Retries >= 3), "the writer retries while InfluxDB is down", Patience, TestContext.Current.CancellationToken);
        var during = metrics.Snapshot();
        Assert.Equal((10, 30, 0), (during.Written, during.Buffered, during.Dropped));
        Assert.NotNull(during.LastError);

        await server.RestartAsync(_cancellation);
        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Snapshot().Written == 40), "the buffered lines are written after the restart", Patience, TestContext.Current.CancellationToken);

        Assert.Equal(40, await CountAsync(server, "telemetry", "elevator", "floor"));
        Assert.Equal((0, 0, 0), (metrics.Snapshot().Dropped, metrics.Snapshot().Rejected, metrics.Snapshot().Buffered));
        await writer.StopAsync(_cancellation);
    }

    [Fact]
    public async Task InfluxDownAtShutdown_BufferedLinesCountedAsDropped()
    {
        var options = V1($"http://127.0.0.1:{FreePort.Next()}", "telemetry") with { ShutdownFlushTimeout = TimeSpan.FromSeconds(2) };
        using var writer = Writer(options, out var metrics);
        await writer.StartAsync(_cancellation);
        for (var n = 1; n <= 5; n++)
        {
            writer.Accept(Envelopes.Lift(n));
        }

        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Snapshot().Retries >= 1), "the writer retries", Patience, TestContext.Current.CancellationToken);
        await writer.StopAsync(_cancellation);

        Assert.Equal((0, 5, 0), (metrics.Snapshot().Written, metrics.Snapshot().Dropped, metrics.Snapshot().Buffered));
    }
}

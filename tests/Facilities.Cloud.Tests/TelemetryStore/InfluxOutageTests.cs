using static Facilities.Cloud.Tests.TelemetryStore.InfluxTesting;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>InfluxDB going away and coming back while the drainer runs (a server of its own, since it is stopped).</summary>
public sealed class InfluxOutageTests
{
    private readonly CancellationToken _cancellation = TestContext.Current.CancellationToken;

    [Fact]
    public async Task InfluxStopped_RowsKeptInTheOutboxAndRetried_AllPresentAfterRestart()
    {
        await using var server = await InfluxServer.StartAsync(_cancellation);
        await server.CreateDatabaseAsync("telemetry", _cancellation);
        await using var bed = await HistoryBed.CreateAsync(V1(server.Url, "telemetry"), _cancellation);
        await bed.Drainer.StartAsync(_cancellation);
        for (var n = 1; n <= 10; n++)
        {
            await bed.RecordAsync(Envelopes.Lift(n));
        }

        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot().Written == 10), "the first lines are written", Patience, TestContext.Current.CancellationToken);

        await server.StopAsync();
        for (var n = 11; n <= 40; n++)
        {
            await bed.RecordAsync(Envelopes.Lift(n));
        }

        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot().Retries >= 3), "the drainer retries while InfluxDB is down", Patience, TestContext.Current.CancellationToken);
        var during = bed.Metrics.Snapshot();
        Assert.Equal((10, 30, 0), (during.Written, (await bed.Outbox.BacklogAsync(_cancellation)).Lines, during.Dropped));
        Assert.NotNull(during.LastError);

        await server.RestartAsync(_cancellation);
        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot().Written == 40), "the waiting lines are written after the restart", Patience, TestContext.Current.CancellationToken);

        Assert.Equal(40, await CountAsync(server, "telemetry", "elevator", "floor"));
        await Eventually.HoldsAsync(async () => (await bed.Outbox.BacklogAsync(_cancellation)).Rows == 0, "the outbox is empty", Patience, TestContext.Current.CancellationToken);
        Assert.Equal((0, 0), (bed.Metrics.Snapshot().Dropped, bed.Metrics.Snapshot().Rejected));
    }
}

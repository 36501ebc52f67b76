using Facilities.Cloud.Ingestion;
using Facilities.Cloud.TelemetryStore;
using Microsoft.Extensions.Logging.Abstractions;
using static Facilities.Cloud.Tests.TelemetryStore.InfluxTesting;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>The batch's lines are formatted before its transaction; the transaction stores only those of the messages it accepted.</summary>
public sealed class HistoryRecorderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset At = DateTimeOffset.UtcNow.AddMinutes(-5);

    private static RawMessage Floor(long seq) =>
        Messages.Telemetry(seq, At.AddSeconds(seq), "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = seq });

    [Fact]
    public async Task ABatchWithRedeliveries_StoresTheLinesOfTheNewMessagesOnly()
    {
        await using var bed = await HistoryBed.CreateAsync(V1("http://127.0.0.1:9", "unused"), Ct);
        var pipeline = new IngestPipeline(bed.Database, [new HistoryRecorder(bed.Outbox)], new IngestMetrics(), TimeProvider.System, NullLogger<IngestPipeline>.Instance);

        Assert.All(await pipeline.ProcessAsync([Floor(1), Floor(2)], Ct), o => Assert.Equal(IngestOutcome.Accepted, o));
        var outcomes = await pipeline.ProcessAsync([Floor(2), Floor(3), Floor(1), Floor(4)], Ct);

        Assert.Equal([IngestOutcome.Duplicate, IngestOutcome.Accepted, IngestOutcome.Duplicate, IngestOutcome.Accepted], outcomes);
        var rows = await bed.Outbox.ClaimAsync(10, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(1), Ct);
        Assert.Equal(2, rows.Count);
        Assert.Equal([2, 2], rows.Select(r => r.Lines));
        Assert.Equal(["floor=1", "floor=2"], Floors(rows[0].Body));
        Assert.Equal(["floor=3", "floor=4"], Floors(rows[1].Body));
    }

    private static string[] Floors(byte[] body) =>
        [.. System.Text.Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[1]).Order()];
}

using System.Globalization;
using System.Text.Json;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.TelemetryStore;
using Facilities.Cloud.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>The whole cloud with InfluxDB unreachable and a small bound: the oldest history goes, counted in /metrics and said in /healthz.</summary>
public sealed class HistoryBoundTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InfluxUnreachable_BacklogPastMaxBacklogBytes_OldestDroppedCountedInMetrics_AndHealthzDegraded()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?>
        {
            ["Influx:Url"] = $"http://127.0.0.1:{FreePort.Next()}", // nobody listens
            ["Influx:Database"] = "facilities",
            ["Influx:MaxBacklogBytes"] = "2000",
            ["Influx:BacklogCheckInterval"] = "00:00:00.100",
            // After its first failed write the drainer waits, holding no row: every trim sees all rows, oldest first.
            ["Influx:MinRetryDelay"] = "00:10:00",
            ["Influx:MaxRetryDelay"] = "00:10:00",
        });
        var pipeline = cloud.Services.GetRequiredService<IngestPipeline>();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-5);
        Task Reading(int seq) =>
            pipeline.ProcessAsync([Messages.Telemetry(seq, t0.AddSeconds(seq), "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = seq % 12 })], Ct);
        await Reading(1);
        // The retry is counted before the failed rows are given back: wait for both, or a trim meanwhile skips the leased row.
        await Eventually.HoldsAsync(async () => cloud.Services.GetRequiredService<TelemetryStoreMetrics>().Snapshot().Retries == 1
                && await cloud.CountAsync("SELECT COUNT(*) FROM history_outbox WHERE leased_until > 0") == 0,
            "the drainer's first write failing and its row given back", TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken, TimeSpan.FromMilliseconds(50));
        for (var seq = 2; seq <= 40; seq++)
        {
            await Reading(seq);
        }

        var metrics = new Dictionary<string, double>();
        await Eventually.HoldsAsync(async () =>
        {
            metrics = Parse(await cloud.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative), Ct));
            return metrics["facilities_cloud_influx_lines_total{fate=\"dropped\"}"] > 0 && metrics["facilities_cloud_influx_backlog_bytes"] <= 2000;
        }, "the oldest lines dropped down to the bound", TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken, TimeSpan.FromMilliseconds(100));

        // Every line recorded is either still waiting or counted as dropped, and only whole, oldest rows went.
        Assert.Equal(40, metrics["facilities_cloud_influx_lines_total{fate=\"dropped\"}"] + metrics["facilities_cloud_influx_buffered_lines"]);
        Assert.Equal(metrics["facilities_cloud_influx_backlog_rows"], metrics["facilities_cloud_influx_buffered_lines"]);
        Assert.True(metrics["facilities_cloud_influx_dropped_bytes_total"] > 2000 * 0.5, $"dropped bytes {metrics["facilities_cloud_influx_dropped_bytes_total"]}");
        Assert.Equal(0, metrics["facilities_cloud_influx_lines_total{fate=\"written\"}"]);
        var kept = await cloud.CountAsync("SELECT MIN(id) FROM history_outbox");
        Assert.Equal(await cloud.CountAsync("SELECT MAX(id) FROM history_outbox") - (long)metrics["facilities_cloud_influx_backlog_rows"] + 1, kept);

        using var health = await cloud.Anonymous.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);
        var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.StartsWith("telemetry history lost: ", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("Influx:MaxBacklogBytes = 2000 bytes", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Prometheus text as name-with-labels → value.</summary>
    private static Dictionary<string, double> Parse(string text) => text.Split('\n')
        .Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => l.Split(' '))
        .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
}

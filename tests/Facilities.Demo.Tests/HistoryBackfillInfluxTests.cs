using System.Globalization;
using Facilities.Cloud.ReadModels;
using Facilities.FirmwareSim.Community;
using Facilities.Gateway.Site;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Demo.Tests;

/// <summary>The demo with <c>--influx</c>: the backfilled fortnight reaches InfluxDB (1.6, started here), once.</summary>
public sealed class HistoryBackfillInfluxTests
{
    private const string Database = "facilities";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstStartWithInflux_InfluxDbHoldsTheFortnightOfEveryKind_AndASecondBackfillAddsNone()
    {
        await using var influx = await InfluxServer.StartAsync(Ct);
        await influx.CreateDatabaseAsync(Database, Ct);
        await using var demo = await DemoUnderTest.StartAsync(o => o with { InfluxUrl = influx.Url, InfluxDatabase = Database });
        var backfill = demo.Demo.Backfill;
        TestContext.Current.TestOutputHelper?.WriteLine($"backfill: {backfill}");
        Assert.Null(backfill.Result.LinesSkipped);
        Assert.True(backfill.Result.Lines > 0);
        var history = string.Create(CultureInfo.InvariantCulture,
            $"time >= {backfill.From.ToUnixTimeMilliseconds()}ms AND time < {backfill.Until.ToUnixTimeMilliseconds()}ms");

        // The drainer sends the history outbox on: wait until every line of the fortnight is in.
        (string Measurement, string Field)[] series = [("elevator", "trips"), ("boiler", "supply_temperature"), ("charger_shed", "energy_total"), ("aed_cabinet", "door_open")];
        await Eventually.HoldsAsync(async () => await LinesAsync(influx, series, history) == backfill.Result.Lines,
            $"{backfill.Result.Lines} backfilled lines in InfluxDB", TimeSpan.FromMinutes(2), Ct, TimeSpan.FromSeconds(1));
        foreach (var (measurement, field) in series)
        {
            Assert.True(await CountAsync(influx, $"SELECT COUNT(\"{field}\") FROM \"{measurement}\" WHERE {history}") > 0, $"{measurement}.{field}");
        }

        var root = AppContext.BaseDirectory;
        var again = await DemoHistory.BackfillAsync(demo.Demo.Cloud.Services.GetRequiredService<HistoryBackfill>(),
            CommunityLoader.Load(Path.Combine(root, "communities", "sample-estate.json")),
            SiteLoader.Load(Path.Combine(root, "sites", "sample-estate.json"), Path.Combine(root, "profiles")), backfill.Until, Ct);

        Assert.Equal(0, again.Result.Lines);
        Assert.Contains("InfluxDB already holds", again.Result.LinesSkipped, StringComparison.Ordinal);
    }

    /// <summary>Points in the period: per measurement, the count of its most frequent field (every poll publishes every field: the heartbeat).</summary>
    private static async Task<long> LinesAsync(InfluxServer influx, (string Measurement, string Field)[] series, string period)
    {
        long lines = 0;
        foreach (var measurement in series.Select(s => s.Measurement).Append("device_state"))
        {
            var rows = await influx.RowsAsync(Database, $"SELECT COUNT(*) FROM \"{measurement}\" WHERE {period}", Ct);
            lines += rows.Count == 0 ? 0 : rows[0].Where(c => c.Key.StartsWith("count_", StringComparison.Ordinal)).Max(c => c.Value.GetInt64());
        }

        return lines;
    }

    private static async Task<long> CountAsync(InfluxServer influx, string query)
    {
        var rows = await influx.RowsAsync(Database, query, Ct);
        return rows.Count == 0 ? 0 : rows[0]["count"].GetInt64();
    }
}

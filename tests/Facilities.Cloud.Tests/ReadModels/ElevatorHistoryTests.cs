using System.Text.Json;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.ReadModels;

/// <summary>An elevator's hourly history, written to a real InfluxDB 1.6 by the cloud itself and read back through the API.</summary>
public sealed class ElevatorHistoryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task History_GivesTripsPerHourAndTheHighestFloor_FromInfluxDb()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var influx = await InfluxServer.StartAsync(Ct);
        await influx.CreateDatabaseAsync("facilities", Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, CloudHost.InfluxSettings(influx));
        var now = DateTimeOffset.UtcNow;
        var h0 = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerHour), TimeSpan.Zero).AddHours(-3);
        RawMessage Reading(long seq, DateTimeOffset at, double trips, double floor) =>
            Messages.Telemetry(seq, at, "lift-1", "elevator", new Dictionary<string, double> { ["trips"] = trips, ["door_cycles"] = trips * 2, ["floor"] = floor });
        await cloud.Services.GetRequiredService<IngestPipeline>().ProcessAsync(
        [
            Reading(1, h0.AddMinutes(5), 100, 3), Reading(2, h0.AddMinutes(40), 110, 9),
            Reading(3, h0.AddHours(1).AddMinutes(5), 130, 2), Reading(4, h0.AddHours(1).AddMinutes(50), 160, 12),
        ], Ct);
        await Eventually.HoldsAsync(async () => (await influx.RowsAsync("facilities", "SELECT trips FROM elevator WHERE device = 'lift-1'", Ct)).Count == 4,
            "four elevator readings in InfluxDB", TimeSpan.FromSeconds(30), Ct, TimeSpan.FromMilliseconds(200));

        var view = JsonDocument.Parse(await cloud.Http.GetStringAsync(new Uri("/api/elevators/lift-1/history?hours=4", UriKind.Relative), Ct)).RootElement;
        Assert.True(view.GetProperty("configured").GetBoolean());
        Assert.Equal("estate", view.GetProperty("site").GetString());
        double? At(string point, DateTimeOffset bucket) => view.GetProperty("series").EnumerateArray()
            .Single(s => s.GetProperty("point").GetString() == point).GetProperty("points").EnumerateArray()
            .Where(p => p.GetProperty("at").GetDateTimeOffset() == bucket)
            .Select(p => p.GetProperty("value").ValueKind == JsonValueKind.Number ? p.GetProperty("value").GetDouble() : (double?)null)
            .Single();
        Assert.Equal(30, At("trips", h0.AddHours(1)));
        Assert.Equal(60, At("door_cycles", h0.AddHours(1)));
        Assert.Equal(12, At("floor", h0.AddHours(1)));
        Assert.Null(At("trips", h0.AddHours(2)));
        if (view.GetProperty("from").GetDateTimeOffset() == h0) // unless the hour turned meanwhile
        {
            Assert.Equal(10, At("trips", h0));
        }

        using var bad = await cloud.Http.GetAsync(new Uri("/api/elevators/lift-1/history?hours=0", UriKind.Relative), Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        using var unknown = await cloud.Http.GetAsync(new Uri("/api/elevators/lift-9/history", UriKind.Relative), Ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task History_WithoutInfluxDb_SaysSo()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        await cloud.Services.GetRequiredService<IngestPipeline>().ProcessAsync(
            [Messages.Telemetry(1, DateTimeOffset.UtcNow, "lift-1", "elevator", new Dictionary<string, double> { ["trips"] = 1 })], Ct);

        var view = JsonDocument.Parse(await cloud.Http.GetStringAsync(new Uri("/api/elevators/lift-1/history", UriKind.Relative), Ct)).RootElement;
        Assert.False(view.GetProperty("configured").GetBoolean());
        Assert.Empty(view.GetProperty("series").EnumerateArray());
    }
}

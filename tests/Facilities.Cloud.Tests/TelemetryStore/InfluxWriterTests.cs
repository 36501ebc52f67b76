using Facilities.Cloud.TelemetryStore;
using Facilities.Telemetry;
using static Facilities.Cloud.Tests.TelemetryStore.InfluxTesting;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>The writer against a real InfluxDB 1.6.7: what lands, with which tags, fields and times.</summary>
public sealed class InfluxWriterTests(InfluxFixture influx) : IClassFixture<InfluxFixture>
{
    private static readonly DateTimeOffset T0 = Envelopes.T0;
    private readonly CancellationToken _cancellation = TestContext.Current.CancellationToken;

    /// <summary>A writer on a fresh database; started unless the test fills its buffer first.</summary>
    private async Task<(InfluxWriter Writer, TelemetryStoreMetrics Metrics, string Database)> StartWriterAsync(
        Func<InfluxOptions, InfluxOptions>? tune = null, bool start = true)
    {
        var database = await influx.CreateDatabaseAsync(_cancellation);
        var options = V1(influx.Server.Url, database);
        var writer = Writer(tune?.Invoke(options) ?? options, out var metrics);
        if (start)
        {
            await writer.StartAsync(_cancellation);
        }

        return (writer, metrics, database);
    }

    [Fact]
    public async Task Telemetry_Written_AppearsWithDeviceTagsValuesLabelsAndSampleTime()
    {
        var (writer, metrics, database) = await StartWriterAsync();
        using var _ = writer;
        writer.Accept(Envelopes.Telemetry(1, T0, "b03-elevator-2", "elevator",
            new Dictionary<string, double> { ["floor"] = 7, ["speed"] = 1.75 }, new Dictionary<string, string> { ["door_state"] = "closed" }));
        writer.Accept(Envelopes.Telemetry(2, T0.AddSeconds(1), "shed-2", "charger-shed", new Dictionary<string, double> { ["port_3_power"] = 6.6 }));

        await Eventually.HoldsAsync(async () => await CountAsync(influx.Server, database, "charger_shed", "port_3_power") == 1, "the charger reading is stored", Patience, TestContext.Current.CancellationToken);
        var row = Assert.Single(await influx.Server.RowsAsync(database, "SELECT * FROM elevator", _cancellation));
        Assert.Equal(T0, Time(row));
        Assert.Equal(("estate", "gw-1", "b03", "b03-elevator-2"), (row["site"].GetString(), row["gateway"].GetString(), row["building"].GetString(), row["device"].GetString()));
        Assert.Equal((7.0, 1.75, "closed"), (row["floor"].GetDouble(), row["speed"].GetDouble(), row["door_state_label"].GetString()));
        var tagKeys = await influx.Server.RowsAsync(database, "SHOW TAG KEYS FROM elevator", _cancellation);
        Assert.Equal(["building", "device", "gateway", "site"], tagKeys.Select(r => r["tagKey"].GetString()));
        Assert.Equal(2, metrics.Snapshot().Written);
        await writer.StopAsync(_cancellation);
    }

    [Fact]
    public async Task EventsStatesAndGatewayStatus_Written_AppearInTheirMeasurements()
    {
        var (writer, _, database) = await StartWriterAsync();
        using var __ = writer;
        var willArrived = T0.AddHours(2);
        writer.Accept(Envelopes.Event(1, T0, "lift-1", "fault_code", 1, "trapped-at-floor", 0, "none"));
        writer.Accept(Envelopes.State(2, T0.AddSeconds(1), "boiler-1", DeviceStateMessage.Offline, "no response within 1000 ms"));
        writer.Accept(Envelopes.Status(3, T0.AddSeconds(2), "online", T0.AddSeconds(3)));
        writer.Accept(Envelopes.Status(0, T0, "offline", willArrived));

        await Eventually.HoldsAsync(async () => await CountAsync(influx.Server, database, "gateway_status", "online") == 2, "both gateway statuses are stored", Patience, TestContext.Current.CancellationToken);
        var evt = Assert.Single(await influx.Server.RowsAsync(database, "SELECT * FROM events WHERE point = 'fault_code'", _cancellation));
        Assert.Equal((T0, "lift-1", "elevator", 1.0, "trapped-at-floor", 0.0), (Time(evt), evt["device"].GetString(), evt["kind"].GetString(),
            evt["value"].GetDouble(), evt["label"].GetString(), evt["previous"].GetDouble()));
        var state = Assert.Single(await influx.Server.RowsAsync(database, "SELECT * FROM device_state", _cancellation));
        Assert.Equal((T0.AddSeconds(1), "boiler-1", 0.0, "offline", "no response within 1000 ms"),
            (Time(state), state["device"].GetString(), state["online"].GetDouble(), state["state"].GetString(), state["reason"].GetString()));
        var statuses = await influx.Server.RowsAsync(database, "SELECT state, last_will FROM gateway_status WHERE gateway = 'gw-1'", _cancellation);
        Assert.Equal([(T0.AddSeconds(2), "online", 0.0), (willArrived, "offline", 1.0)],
            statuses.Select(r => (Time(r), r["state"].GetString(), r["last_will"].GetDouble())));
        await writer.StopAsync(_cancellation);
    }

    [Fact]
    public async Task RedeliveredMessage_WrittenTwice_IsStoredOnce()
    {
        var (writer, metrics, database) = await StartWriterAsync();
        using var _ = writer;
        writer.Accept(Envelopes.Lift(1));
        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Snapshot().Written == 1), "the first delivery is written", Patience, TestContext.Current.CancellationToken);
        writer.Accept(Envelopes.Lift(1));
        writer.Accept(Envelopes.Lift(2));
        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Snapshot().Written == 3), "the redelivery is written", Patience, TestContext.Current.CancellationToken);

        Assert.Equal(2, await CountAsync(influx.Server, database, "elevator", "floor"));
        await writer.StopAsync(_cancellation);
    }

    [Fact]
    public async Task Backlog_WrittenLate_LandsAtItsSampleTimes()
    {
        var (writer, _, database) = await StartWriterAsync();
        using var __ = writer;
        var sampled = Enumerable.Range(0, 50).Select(i => T0.AddMinutes(-i)).ToArray();
        foreach (var (ts, i) in sampled.Select((t, i) => (t, i)))
        {
            writer.Accept(Envelopes.Telemetry(i + 1, ts, "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = i }));
        }

        await Eventually.HoldsAsync(async () => await CountAsync(influx.Server, database, "elevator", "floor") == 50, "the backlog is stored", Patience, TestContext.Current.CancellationToken);
        var rows = await influx.Server.RowsAsync(database, "SELECT floor FROM elevator", _cancellation);
        Assert.Equal(sampled.Order(), rows.Select(Time));
        await writer.StopAsync(_cancellation);
    }

    [Fact]
    public async Task FullBuffer_DropsOldestLines_AndCountsThem()
    {
        var (writer, metrics, database) = await StartWriterAsync(o => o with { MaxBufferedLines = 10 }, start: false);
        using var _ = writer;
        for (var n = 1; n <= 25; n++)
        {
            writer.Accept(Envelopes.Lift(n));
        }

        Assert.Equal((15, 10), (metrics.Snapshot().Dropped, metrics.Snapshot().Buffered));
        await writer.StartAsync(_cancellation);
        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Snapshot().Written == 10), "the buffered lines are written", Patience, TestContext.Current.CancellationToken);

        var devices = await influx.Server.RowsAsync(database, "SELECT floor, device FROM elevator", _cancellation);
        Assert.Equal(Enumerable.Range(16, 10).Select(n => $"lift-{n}"), devices.Select(r => r["device"].GetString()));
        Assert.Equal(15, metrics.Snapshot().Dropped);
        await writer.StopAsync(_cancellation);
    }

    [Fact]
    public async Task BatchWithOneConflictingLine_LosesOnlyThatLine()
    {
        var (writer, metrics, database) = await StartWriterAsync(start: false);
        using var _ = writer;
        // lift-4's 'door_label' reading is a float, but the label of 'door' already made door_label a string field.
        writer.Accept(Envelopes.Telemetry(1, T0, "lift-1", "elevator", new Dictionary<string, double> { ["door"] = 0 }, new Dictionary<string, string> { ["door"] = "closed" }));
        for (var n = 2; n <= 9; n++)
        {
            var values = n == 4 ? new Dictionary<string, double> { ["door_label"] = 1 } : new Dictionary<string, double> { ["door"] = n };
            writer.Accept(Envelopes.Telemetry(n, T0.AddSeconds(n), $"lift-{n}", "elevator", values));
        }

        await writer.StartAsync(_cancellation);
        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Snapshot() is { Written: 8, Rejected: 1 }), "8 lines written and 1 rejected", Patience, TestContext.Current.CancellationToken);

        var devices = await influx.Server.RowsAsync(database, "SELECT door, device FROM elevator", _cancellation);
        Assert.Equal(["lift-1", "lift-2", "lift-3", "lift-5", "lift-6", "lift-7", "lift-8", "lift-9"], devices.Select(r => r["device"].GetString()));
        Assert.Contains("field type conflict", metrics.Snapshot().LastError, StringComparison.Ordinal);
        Assert.Equal(0, metrics.Snapshot().Retries);
        await writer.StopAsync(_cancellation);
    }

    [Fact]
    public async Task HostileNames_Written_ReadBackAsTheyWereSent()
    {
        var (writer, metrics, database) = await StartWriterAsync();
        using var _ = writer;
        writer.Accept(Envelopes.Telemetry(1, T0, "lift-1", "Lift, \"Fancy\"=1",
            new Dictionary<string, double> { ["temp °C, raw=1"] = 21.5 },
            new Dictionary<string, string> { ["mode \"x\""] = "say \"hi\", a=b \\ back\\" },
            building: "Block A, west=1 \"x\""));

        await Eventually.HoldsAsync(() => Task.FromResult(metrics.Snapshot().Written == 1), "the hostile point is written", Patience, TestContext.Current.CancellationToken);
        var measurement = TelemetrySchema.MeasurementOf("Lift, \"Fancy\"=1");
        var row = Assert.Single(await influx.Server.RowsAsync(database, $"SELECT * FROM \"{measurement}\"", _cancellation));
        Assert.Equal("lift___fancy__1", measurement);
        Assert.Equal("Block A, west=1 \"x\"", row["building"].GetString());
        Assert.Equal(21.5, row["temp °C, raw=1"].GetDouble());
        Assert.Equal("say \"hi\", a=b \\ back\\", row["mode \"x\"_label"].GetString());
        Assert.Equal(0, metrics.Snapshot().Rejected);
        await writer.StopAsync(_cancellation);
    }

    [Fact]
    public async Task Stop_WithLinesBuffered_WritesThemBeforeItEnds()
    {
        var (writer, metrics, database) = await StartWriterAsync(o => o with { FlushInterval = TimeSpan.FromMinutes(5), FlushWhenIdle = TimeSpan.FromMinutes(5), BatchSize = 1000 });
        using var _ = writer;
        for (var n = 1; n <= 30; n++)
        {
            writer.Accept(Envelopes.Lift(n));
        }

        await writer.StopAsync(_cancellation);

        Assert.Equal((30, 0), (metrics.Snapshot().Written, metrics.Snapshot().Dropped));
        Assert.Equal(30, await CountAsync(influx.Server, database, "elevator", "floor"));
    }
}

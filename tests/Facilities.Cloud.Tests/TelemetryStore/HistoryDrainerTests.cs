using Facilities.Cloud.Ingestion;
using Facilities.Cloud.TelemetryStore;
using Facilities.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using static Facilities.Cloud.Tests.TelemetryStore.InfluxTesting;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>The history drainer against a real InfluxDB 1.6.7: what lands, with which tags, fields and times.</summary>
public sealed class HistoryDrainerTests(InfluxFixture influx) : IClassFixture<InfluxFixture>
{
    private static readonly DateTimeOffset T0 = Envelopes.T0;
    private readonly CancellationToken _cancellation = TestContext.Current.CancellationToken;

    /// <summary>An outbox and a drainer writing to a fresh database; started unless the test records rows first.</summary>
    private async Task<(HistoryBed Bed, string Database)> StartDrainerAsync(Func<InfluxOptions, InfluxOptions>? tune = null, bool start = true)
    {
        var database = await influx.CreateDatabaseAsync(_cancellation);
        var options = V1(influx.Server.Url, database);
        var bed = await HistoryBed.CreateAsync(tune?.Invoke(options) ?? options, _cancellation);
        if (start)
        {
            await bed.Drainer.StartAsync(_cancellation);
        }

        return (bed, database);
    }

    [Fact]
    public async Task Telemetry_Written_AppearsWithDeviceTagsValuesLabelsAndSampleTime()
    {
        var (bed, database) = await StartDrainerAsync();
        await using var _ = bed;
        await bed.RecordAsync(
            Envelopes.Telemetry(1, T0, "b03-elevator-2", "elevator",
                new Dictionary<string, double> { ["floor"] = 7, ["speed"] = 1.75 }, new Dictionary<string, string> { ["door_state"] = "closed" }),
            Envelopes.Telemetry(2, T0.AddSeconds(1), "shed-2", "charger-shed", new Dictionary<string, double> { ["port_3_power"] = 6.6 }));

        await Eventually.HoldsAsync(async () => await CountAsync(influx.Server, database, "charger_shed", "port_3_power") == 1, "the charger reading is stored", Patience, TestContext.Current.CancellationToken);
        var row = Assert.Single(await influx.Server.RowsAsync(database, "SELECT * FROM elevator", _cancellation));
        Assert.Equal(T0, Time(row));
        Assert.Equal(("estate", "gw-1", "b03", "b03-elevator-2"), (row["site"].GetString(), row["gateway"].GetString(), row["building"].GetString(), row["device"].GetString()));
        Assert.Equal((7.0, 1.75, "closed"), (row["floor"].GetDouble(), row["speed"].GetDouble(), row["door_state_label"].GetString()));
        var tagKeys = await influx.Server.RowsAsync(database, "SHOW TAG KEYS FROM elevator", _cancellation);
        Assert.Equal(["building", "device", "gateway", "site"], tagKeys.Select(r => r["tagKey"].GetString()));
        Assert.Equal(2, bed.Metrics.Snapshot().Written);
        await Eventually.HoldsAsync(async () => (await bed.Outbox.BacklogAsync(_cancellation)).Rows == 0, "the written row leaves the outbox", Patience, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task EventsStatesAndGatewayStatus_Written_AppearInTheirMeasurements()
    {
        var (bed, database) = await StartDrainerAsync();
        await using var _ = bed;
        var willArrived = T0.AddHours(2);
        await bed.RecordAsync(
            Envelopes.Event(1, T0, "lift-1", "fault_code", 1, "trapped-at-floor", 0, "none"),
            Envelopes.State(2, T0.AddSeconds(1), "boiler-1", DeviceStateMessage.Offline, "no response within 1000 ms"),
            Envelopes.Status(3, T0.AddSeconds(2), "online", T0.AddSeconds(3)));
        await bed.RecordAsync(Envelopes.Status(0, T0, "offline", willArrived));

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
    }

    [Fact]
    public async Task RedeliveredMessage_WrittenTwice_IsStoredOnce()
    {
        var (bed, database) = await StartDrainerAsync();
        await using var _ = bed;
        await bed.RecordAsync(Envelopes.Lift(1));
        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot().Written == 1), "the first delivery is written", Patience, TestContext.Current.CancellationToken);
        await bed.RecordAsync(Envelopes.Lift(1), Envelopes.Lift(2));
        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot().Written == 3), "the redelivery is written", Patience, TestContext.Current.CancellationToken);

        Assert.Equal(2, await CountAsync(influx.Server, database, "elevator", "floor"));
    }

    [Fact]
    public async Task Backlog_WrittenLate_LandsAtItsSampleTimes()
    {
        var (bed, database) = await StartDrainerAsync();
        await using var _ = bed;
        var sampled = Enumerable.Range(0, 50).Select(i => T0.AddMinutes(-i)).ToArray();
        foreach (var (ts, i) in sampled.Select((t, i) => (t, i)))
        {
            await bed.RecordAsync(Envelopes.Telemetry(i + 1, ts, "lift-1", "elevator", new Dictionary<string, double> { ["floor"] = i }));
        }

        await Eventually.HoldsAsync(async () => await CountAsync(influx.Server, database, "elevator", "floor") == 50, "the backlog is stored", Patience, TestContext.Current.CancellationToken);
        var rows = await influx.Server.RowsAsync(database, "SELECT floor FROM elevator", _cancellation);
        Assert.Equal(sampled.Order(), rows.Select(Time));
    }

    [Fact]
    public async Task RowsOfManyBatches_Drained_GoOutInRequestsOfAtMostBatchSizeLines_AndAllArrive()
    {
        var (bed, database) = await StartDrainerAsync(o => o with { BatchSize = 7 }, start: false);
        await using var _ = bed;
        // Rows of 3, 12 (more than a batch) and 1 lines, then 40 rows of one line each.
        await bed.RecordAsync([.. Enumerable.Range(1, 3).Select(n => Envelopes.Lift(n))]);
        await bed.RecordAsync([.. Enumerable.Range(4, 12).Select(n => Envelopes.Lift(n))]);
        await bed.RecordAsync(Envelopes.Lift(16));
        for (var n = 17; n <= 56; n++)
        {
            await bed.RecordAsync(Envelopes.Lift(n));
        }

        await bed.Drainer.StartAsync(_cancellation);
        await Eventually.HoldsAsync(async () => (await bed.Outbox.BacklogAsync(_cancellation)).Rows == 0, "every row leaves the outbox", Patience, TestContext.Current.CancellationToken);

        Assert.Equal(56, await CountAsync(influx.Server, database, "elevator", "floor"));
        Assert.Equal((56, 0, 0), (bed.Metrics.Snapshot().Written, bed.Metrics.Snapshot().Dropped, bed.Metrics.Snapshot().Rejected));
    }

    [Fact]
    public async Task BatchWithOneConflictingLine_LosesOnlyThatLine()
    {
        var (bed, database) = await StartDrainerAsync(start: false);
        await using var _ = bed;
        // lift-4's 'door_label' reading is a float, but the label of 'door' already made door_label a string field.
        var batch = new List<Envelope>
        {
            Envelopes.Telemetry(1, T0, "lift-1", "elevator", new Dictionary<string, double> { ["door"] = 0 }, new Dictionary<string, string> { ["door"] = "closed" }),
        };
        for (var n = 2; n <= 9; n++)
        {
            var values = n == 4 ? new Dictionary<string, double> { ["door_label"] = 1 } : new Dictionary<string, double> { ["door"] = n };
            batch.Add(Envelopes.Telemetry(n, T0.AddSeconds(n), $"lift-{n}", "elevator", values));
        }

        await bed.RecordAsync([.. batch]);
        await bed.Drainer.StartAsync(_cancellation);
        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot() is { Written: 8, Rejected: 1 }), "8 lines written and 1 rejected", Patience, TestContext.Current.CancellationToken);

        var devices = await influx.Server.RowsAsync(database, "SELECT door, device FROM elevator", _cancellation);
        Assert.Equal(["lift-1", "lift-2", "lift-3", "lift-5", "lift-6", "lift-7", "lift-8", "lift-9"], devices.Select(r => r["device"].GetString()));
        Assert.Contains("field type conflict", bed.Metrics.Snapshot().LastError, StringComparison.Ordinal);
        Assert.Equal(0, bed.Metrics.Snapshot().Retries);
        await Eventually.HoldsAsync(async () => (await bed.Outbox.BacklogAsync(_cancellation)).Rows == 0, "the row leaves the outbox once every line is decided", Patience, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task HostileNames_Written_ReadBackAsTheyWereSent()
    {
        var (bed, database) = await StartDrainerAsync();
        await using var _ = bed;
        await bed.RecordAsync(Envelopes.Telemetry(1, T0, "lift-1", "Lift, \"Fancy\"=1",
            new Dictionary<string, double> { ["temp °C, raw=1"] = 21.5 },
            new Dictionary<string, string> { ["mode \"x\""] = "say \"hi\", a=b \\ back\\" },
            building: "Block A, west=1 \"x\""));

        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot().Written == 1), "the hostile point is written", Patience, TestContext.Current.CancellationToken);
        var measurement = TelemetrySchema.MeasurementOf("Lift, \"Fancy\"=1");
        var row = Assert.Single(await influx.Server.RowsAsync(database, $"SELECT * FROM \"{measurement}\"", _cancellation));
        Assert.Equal("lift___fancy__1", measurement);
        Assert.Equal("Block A, west=1 \"x\"", row["building"].GetString());
        Assert.Equal(21.5, row["temp °C, raw=1"].GetDouble());
        Assert.Equal("say \"hi\", a=b \\ back\\", row["mode \"x\"_label"].GetString());
        Assert.Equal(0, bed.Metrics.Snapshot().Rejected);
    }

    [Fact]
    public async Task RowsLeftAtStop_StayInTheOutbox_AndTheNextDrainerWritesThem()
    {
        var database = await influx.CreateDatabaseAsync(_cancellation);
        var options = V1(influx.Server.Url, database);
        await using var bed = await HistoryBed.CreateAsync(options with { Url = $"http://127.0.0.1:{FreePort.Next()}" }, _cancellation);
        await bed.Drainer.StartAsync(_cancellation);
        for (var n = 1; n <= 30; n++)
        {
            await bed.RecordAsync(Envelopes.Lift(n));
        }

        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot().Retries >= 2), "the first drainer fails to write", Patience, TestContext.Current.CancellationToken);
        await bed.Drainer.StopAsync(_cancellation);
        Assert.Equal((30, 0), ((await bed.Outbox.BacklogAsync(_cancellation)).Lines, bed.Metrics.Snapshot().Dropped));

        // The next start (another instance, or this one restarted) finds the rows given back, not leased.
        using var next = new HistoryDrainer(options, bed.Outbox, bed.Metrics, TimeProvider.System, NullLogger<HistoryDrainer>.Instance);
        await next.StartAsync(_cancellation);
        await Eventually.HoldsAsync(async () => (await bed.Outbox.BacklogAsync(_cancellation)).Rows == 0, "the next drainer empties the outbox", TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        await next.StopAsync(_cancellation);

        Assert.Equal(30, await CountAsync(influx.Server, database, "elevator", "floor"));
    }
}

using Facilities.Cloud.TelemetryStore;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>When telemetry history makes /healthz say degraded, and what it says.</summary>
public sealed class HistoryHealthTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 3, 0, 0, TimeSpan.Zero);
    private readonly ManualClock _clock = new(Now);
    private readonly TelemetryStoreMetrics _metrics = new() { Enabled = true };
    private readonly InfluxOptions _options = new() { Url = "http://127.0.0.1:8086", Database = "facilities", MaxBacklogBytes = 1000 };

    private HistoryHealth Health => new(_metrics, _options, _clock);

    [Fact]
    public void Reason_NothingDroppedAndNothingOld_IsNull()
    {
        _metrics.SetBacklog(new HistoryBacklog(3, 30, 300, Now.AddSeconds(-20)), Now);

        Assert.Null(Health.Reason());
    }

    [Fact]
    public void Reason_LinesDroppedWithinTheHour_SaysHowManyAndWhy()
    {
        _metrics.AddDropped(new HistoryDrop(2, 40, 4000), Now.AddMinutes(-59));

        Assert.Equal(
            "telemetry history lost: 40 lines (4000 bytes) dropped from the history outbox since start-up, the oldest first, because more than "
            + "Influx:MaxBacklogBytes = 1000 bytes waited for InfluxDB; last at 2026-12-02T02:01:00.0000000+00:00",
            Health.Reason());
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(Health.Reason());
    }

    [Fact]
    public void Reason_OldestRowWaitingOverAMinute_SaysHowMuchWaitsAndTheLastError()
    {
        _metrics.SetLastError("connection refused", Now.AddSeconds(-1));
        _metrics.SetBacklog(new HistoryBacklog(4, 40, 500, Now.AddSeconds(-61)), Now);

        Assert.Equal(
            "telemetry history waits for InfluxDB: the oldest of 4 rows (40 lines, 500 bytes, 50 % of Influx:MaxBacklogBytes) is 61 s old; last error: connection refused",
            Health.Reason());
    }
}

using System.Text.Json;
using Facilities.Cloud.ReadModels;
using Facilities.FirmwareSim.Community;
using Facilities.Gateway.Site;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Demo.Tests;

/// <summary>One demo as a first start leaves it: the backfilled fortnight, then the live estate, left alone.</summary>
public sealed class BackfilledDemoFixture : IAsyncLifetime
{
    public DemoUnderTest Demo { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Demo = await DemoUnderTest.StartAsync();
        await Demo.WaitUntilEveryDeviceIsOnlineAsync();
    }

    public async ValueTask DisposeAsync() => await Demo.DisposeAsync();
}

/// <summary>
/// The demo's history (demo/Facilities.Demo/DemoHistory.cs): the crews' 14-day charts and the elevator health score have
/// data at first start, a second backfill writes nothing, and the healthy estate raises nothing while it runs.
/// </summary>
public sealed class HistoryBackfillTests(BackfilledDemoFixture fixture) : IClassFixture<BackfilledDemoFixture>
{
    private const string Elevator = "b05-elevator-1";

    /// <summary>How long the healthy estate is watched for an alert (the rules' longest <c>for</c> is 10 minutes; the pending state shows any start).</summary>
    private static readonly TimeSpan Watched = TimeSpan.FromMinutes(4);

    private DemoUnderTest Demo => fixture.Demo;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstStart_CrewsFourteenDayChart_HasTripsAndDoorCyclesOnEveryDay()
    {
        TestContext.Current.TestOutputHelper?.WriteLine($"backfill: {Demo.Demo.Backfill}");
        var health = await Demo.GetAsync($"/api/elevators/{Elevator}/health");
        var usage = health.GetProperty("usage").EnumerateArray().ToList();

        Assert.Equal(14, usage.Count);
        // Residents ride about a thousand times a day (docs/demo.md); the first and last days are partly history, partly live.
        Assert.All(usage[..^1], day => Assert.True(Number(day, "trips") > 200 && Number(day, "doorCycles") > 200, day.ToString()));
        // 56 elevators, two counters, each day of the 14 and the 15th the window reaches into. The window's ends share a
        // time of day; when that is at night (a run at about 16:00 UTC is midnight in UTC+8), an elevator touches the
        // part-day at an end only if it moved in that hour, so between 14 and 15 days each.
        Assert.InRange(Demo.Demo.Backfill.Result.CounterDays, 56 * 2 * 14, 56 * 2 * 15);
    }

    [Fact]
    public async Task FirstStart_ElevatorHealthScore_IsComputedWithTheHealthyHistory_NoFaultsCounted()
    {
        var health = await Demo.GetAsync($"/api/elevators/{Elevator}/health");

        Assert.True(health.GetProperty("usage").EnumerateArray().All(d => d.GetProperty("trips").ValueKind == JsonValueKind.Number), health.ToString());
        Assert.Equal(0, health.GetProperty("faults").GetProperty("count").GetInt32());
        var reasons = health.GetProperty("reasons").EnumerateArray().Select(r => r.GetProperty("code").GetString()).ToList();
        Assert.DoesNotContain("faults-30d", reasons);
        Assert.DoesNotContain("no-data", reasons);
        Assert.InRange(health.GetProperty("score").GetInt32(), 90, 100); // at most "no routine maintenance on record"
    }

    [Fact]
    public async Task SecondBackfill_SameDatabase_WritesNothing_AndTheChartStaysTheSame()
    {
        var before = (await Demo.GetAsync($"/api/elevators/{Elevator}/health")).GetProperty("usage").ToString();
        var root = AppContext.BaseDirectory;
        var community = CommunityLoader.Load(Path.Combine(root, "communities", "sample-estate.json"));
        var site = SiteLoader.Load(Path.Combine(root, "sites", "sample-estate.json"), Path.Combine(root, "profiles"));

        var again = await DemoHistory.BackfillAsync(Demo.Demo.Cloud.Services.GetRequiredService<HistoryBackfill>(), community, site, Demo.Demo.Backfill.Until, Ct);

        Assert.Equal(0, again.Result.CounterDays);
        Assert.Contains("already has counter days", again.Result.CounterDaysSkipped, StringComparison.Ordinal);
        var after = (await Demo.GetAsync($"/api/elevators/{Elevator}/health")).GetProperty("usage").ToString();
        Assert.Equal(Days(before), Days(after));
    }

    [Fact]
    public async Task HealthyEstate_AfterTheBackfillAndMinutesOfLiveRunning_FiresNoAlertNotifiesNobodyAndOpensOnlyPreventiveOrders()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < Watched)
        {
            // A pending alert is a condition the rule is still waiting out (its "for"): nothing is raised until it fires.
            var fired = (await Demo.GetAsync("/api/alerts?state=all")).EnumerateArray().Where(a => a.GetProperty("firedAt").ValueKind != JsonValueKind.Null).ToList();
            Assert.True(fired.Count == 0, $"after {watch.Elapsed:mm\\:ss} of the healthy estate: {string.Join("\n", fired)}");
            var notified = File.Exists(Demo.Demo.Notifications.Path) ? await File.ReadAllTextAsync(Demo.Demo.Notifications.Path, Ct) : "";
            Assert.True(notified.Length == 0, $"notifications after {watch.Elapsed:mm\\:ss}: {notified}");
            var orders = (await Demo.GetAsync("/api/work-orders")).EnumerateArray()
                .Where(o => !o.GetProperty("ruleId").GetString()!.StartsWith("preventive.", StringComparison.Ordinal)).ToList();
            Assert.True(orders.Count == 0, $"corrective orders after {watch.Elapsed:mm\\:ss}: {string.Join("\n", orders)}");
            await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        }
    }

    private static double Number(JsonElement day, string name) =>
        day.GetProperty(name) is { ValueKind: JsonValueKind.Number } value ? value.GetDouble() : -1;

    /// <summary>The days before today (today's counts grow with the live estate).</summary>
    private static List<string> Days(string usage) =>
        [.. JsonDocument.Parse(usage).RootElement.EnumerateArray().SkipLast(1).Select(d => d.ToString())];
}

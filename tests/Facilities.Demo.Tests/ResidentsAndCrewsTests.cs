using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Facilities.Demo.Tests;

/// <summary>
/// One demo, started once for these stories; each story uses its own equipment (b03-elevator-2, aed-3, shed-1,
/// boiler-1), so they cannot disturb each other. The boiler's fault is injected as soon as the estate is up, because its
/// story takes minutes of real time (the cloud's rule waits three minutes).
/// </summary>
public sealed class DemoEstateFixture : IAsyncLifetime
{
    public DemoUnderTest Demo { get; private set; } = null!;

    public Stopwatch SinceBoilerFault { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Demo = await DemoUnderTest.StartAsync();
        await Demo.WaitUntilEveryDeviceIsOnlineAsync();
        await Demo.InjectAsync("boiler-1", "supply-temperature-low");
        SinceBoilerFault.Start();
    }

    public async ValueTask DisposeAsync() => await Demo.DisposeAsync();
}

public sealed class ResidentsAndCrewsTests(DemoEstateFixture fixture) : IClassFixture<DemoEstateFixture>
{
    private DemoUnderTest Demo => fixture.Demo;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TrappedPassenger_OneCriticalAlert_AWorkOrderDueIn30Minutes_TheNotification_AndTheElevatorsHealthShowsIt()
    {
        await Demo.InjectAsync("b03-elevator-2", "trapped-at-floor");
        var alert = await Demo.FiringAlertAsync("elevator.trapped-at-floor", "b03-elevator-2", TimeSpan.FromSeconds(30));
        Assert.Equal(("critical", "b03", "estate-a"), (alert.GetProperty("severity").GetString(), alert.GetProperty("building").GetString(), alert.GetProperty("site").GetString()));
        var id = alert.GetProperty("id").GetInt64();
        var firedAt = alert.GetProperty("firedAt").GetDateTimeOffset();

        // Its work order: respond within 30 minutes of the alert firing, for the elevator team.
        var order = await Eventually.FoundAsync<JsonElement?>(
            async () => (await Demo.GetAsync("/api/work-orders")).EnumerateArray().Cast<JsonElement?>().FirstOrDefault(o => o!.Value.GetProperty("device").GetString() == "b03-elevator-2"),
            "the trapped passenger's work order", TimeSpan.FromSeconds(30), Ct, DemoUnderTest.PollInterval);
        Assert.Equal("elevator", order!.Value.GetProperty("team").GetString());
        Assert.Equal(TimeSpan.FromMinutes(30), order.Value.GetProperty("respondBy").GetDateTimeOffset() - firedAt);

        // The duty engineer is notified through the webhook, and the receiver's log has it.
        var notice = await Eventually.FoundAsync<JsonElement?>(
            async () => (await Demo.Demo.Notifications.ReadAsync(Ct)).Cast<JsonElement?>().FirstOrDefault(n => n!.Value.GetProperty("alertId").GetInt64() == id),
            "the notification in the webhook log", TimeSpan.FromSeconds(30), Ct, DemoUnderTest.PollInterval);
        Assert.Equal("firing", notice!.Value.GetProperty("event").GetString());
        Assert.Contains("Passenger trapped", notice.Value.GetProperty("subject").GetString(), StringComparison.Ordinal);

        // The crew's view of the elevator (signed in as the demo's crew member) shows the fault, the alert and the open order.
        using var crew = await Demo.SignedInAsync(DemoSignIns.Crew);
        var health = JsonDocument.Parse(await crew.GetStringAsync("/api/elevators/b03-elevator-2/health", Ct)).RootElement;
        Assert.Equal("trapped-at-floor", health.GetProperty("status").GetProperty("fault").GetString());
        Assert.Contains(health.GetProperty("faults").GetProperty("items").EnumerateArray(), f => f.GetProperty("alertId").GetInt64() == id);
        Assert.Contains(health.GetProperty("openWorkOrders").EnumerateArray(), o => o.GetProperty("id").GetInt64() == order.Value.GetProperty("id").GetInt64());
        Assert.Contains(health.GetProperty("reasons").EnumerateArray(), r => r.GetProperty("code").GetString() == "fault-active");

        // However often the gateway reports it, it stays one alert.
        await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        Assert.Single(await Demo.AlertsAsync("elevator.trapped-at-floor", "b03-elevator-2"));
    }

    [Fact]
    public async Task DemoSignIns_EachSignsIn_AndGetsWhatItsRoleAllows()
    {
        using var engineer = await Demo.SignedInAsync(DemoSignIns.Engineer);
        using var crew = await Demo.SignedInAsync(DemoSignIns.Crew);
        using var admin = await Demo.SignedInAsync(DemoSignIns.Admin);
        using var anonymous = new HttpClient { BaseAddress = Demo.Cloud.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await engineer.GetAsync("/api/ingestion", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await crew.GetAsync("/api/alerts?state=open", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await crew.GetAsync("/api/ingestion", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/users", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/alerts?state=open", Ct)).StatusCode);
    }

    [Fact]
    public async Task AedRemoved_IsACriticalAlertAtOnce()
    {
        var removed = Stopwatch.StartNew();
        await Demo.InjectAsync("aed-3", "aed-removed");
        var alert = await Demo.FiringAlertAsync("aed.removed", "aed-3", TimeSpan.FromSeconds(30));
        removed.Stop();
        Assert.Equal("critical", alert.GetProperty("severity").GetString());
        // No waiting period: it fired the moment it opened (a rule with "for" would sit pending first).
        Assert.Equal(alert.GetProperty("openedAt").GetDateTimeOffset(), alert.GetProperty("firedAt").GetDateTimeOffset());
        Assert.True(removed.Elapsed < TimeSpan.FromSeconds(15), $"from removal to alert took {removed.Elapsed}");
    }

    [Fact]
    public async Task ChargerPort_TakenAndFreed_TheResidentsAvailabilityFollows()
    {
        using var anonymous = new HttpClient { BaseAddress = Demo.Cloud.BaseAddress };
        async Task<JsonElement> ShedAsync()
        {
            using var response = await anonymous.GetAsync($"/api/sites/{DemoEstate.Site}/chargers", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode); // residents need no sign-in
            var site = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
            return site.GetProperty("sheds").EnumerateArray().Single(s => s.GetProperty("shed").GetString() == "shed-1").Clone();
        }

        static string StateOf(JsonElement shed, int port) =>
            shed.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("port").GetInt32() == port).GetProperty("state").GetString()!;

        var shed = await Eventually.FoundAsync<JsonElement?>(
            async () => await ShedAsync() is var s && s.GetProperty("ports").EnumerateArray().Any(p => p.GetProperty("state").GetString() == "free") ? s : null,
            "a free port on shed-1", TimeSpan.FromSeconds(60), Ct, DemoUnderTest.PollInterval);
        var port = shed!.Value.GetProperty("ports").EnumerateArray().First(p => p.GetProperty("state").GetString() == "free").GetProperty("port").GetInt32();
        var freeBefore = shed.Value.GetProperty("free").GetInt32();

        using (var plug = await Demo.Simulator.PostAsync($"/devices/shed-1/ports/{port}/plug", null, Ct))
        {
            plug.EnsureSuccessStatusCode();
        }

        var taken = await Eventually.FoundAsync<JsonElement?>(async () => await ShedAsync() is var s && StateOf(s, port) == "charging" ? s : null, $"port {port} charging", TimeSpan.FromSeconds(30), Ct, DemoUnderTest.PollInterval);
        Assert.True(taken!.Value.GetProperty("free").GetInt32() < freeBefore + 1, "the free count did not go down");
        Assert.False(StateOf(taken.Value, port) == "free");

        using (var unplug = await Demo.Simulator.PostAsync($"/devices/shed-1/ports/{port}/unplug", null, Ct))
        {
            unplug.EnsureSuccessStatusCode();
        }

        await Eventually.HoldsAsync(async () => StateOf(await ShedAsync(), port) == "free", $"port {port} free again", TimeSpan.FromSeconds(30), Ct, DemoUnderTest.PollInterval);
    }

    [Fact]
    public async Task BoilerSupplyLowWhileBurning_PendsLongBeforeTheRoomsDropUnder18Degrees_AndTheFloorHeatingBoilerStaysQuiet()
    {
        // The fixture injected supply-temperature-low on boiler-1 when the estate came up. The rule wants the supply more
        // than its heating system's shortfall (5 K on radiators) under its setpoint while firing hard, for 10 minutes:
        // the alert pends about two minutes after the fault and
        // fires ten minutes later (pending to firing on the real gateway and broker: EveryFaultTests; the firing time
        // against the rooms' temperature over the model's hours: BoilerRuleTests). Here: the demo as users run it.
        var alert = await Eventually.FoundAsync<JsonElement?>(
            async () => (await Demo.AlertsAsync("boiler.supply-low-while-burning", "boiler-1")).Cast<JsonElement?>()
                .FirstOrDefault(a => a!.Value.GetProperty("state").GetString() is "pending" or "firing"),
            "boiler.supply-low-while-burning pending on boiler-1", TimeSpan.FromMinutes(6), Ct, DemoUnderTest.PollInterval);
        var room = await Demo.SimulatedValueAsync("boiler-1", "room_temperature");
        Assert.Equal("warning", alert!.Value.GetProperty("severity").GetString());
        Assert.True(room >= 19, $"the alert came {fixture.SinceBoilerFault.Elapsed} after the fault, when the room was already at {room:0.0} °C");
        // The cloud sees supply and setpoint through the gateway's 0.5 K deadbands: the simulator's own figures may sit up
        // to 1 K nearer each other at the moment the alert pends.
        var supply = await Demo.SimulatedValueAsync("boiler-1", "supply_temperature");
        var setpoint = await Demo.SimulatedValueAsync("boiler-1", "supply_setpoint");
        Assert.True(supply < setpoint - 4, $"supply {supply:0.0} °C, setpoint {setpoint:0.0} °C");

        // The floor-heating boiler runs at about 40 °C on its own setpoint: healthy, so nothing about it at all.
        Assert.Empty(await Demo.AlertsAsync("boiler.supply-low-while-burning", "boiler-2"));
    }
}

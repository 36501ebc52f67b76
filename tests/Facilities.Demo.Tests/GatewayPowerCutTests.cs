using System.Globalization;
using System.Text.RegularExpressions;

namespace Facilities.Demo.Tests;

/// <summary>
/// The demo's configuration with telemetry history in a real InfluxDB 1.x, and the gateway as a process of its own so
/// that its power can be cut (SIGKILL: no clean disconnect, whatever was in flight is only in its disk outbox).
/// </summary>
public sealed partial class GatewayPowerCutTests : IDisposable
{
    private readonly string _gatewayData = Directory.CreateTempSubdirectory("demo-gateway-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GatewayPowerCut_OneGatewayOfflineAlert_AndAfterItReturnsNoTelemetryIsMissing()
    {
        await using var influx = await InfluxServer.StartAsync(Ct);
        await influx.CreateDatabaseAsync("facilities", Ct);
        await using var demo = await DemoUnderTest.StartAsync(o => o with { StartGateway = false, InfluxUrl = influx.Url, InfluxDatabase = "facilities" });
        var gateway = StartGateway(demo.Demo);
        try
        {
            await demo.WaitUntilEveryDeviceIsOnlineAsync();
            await Task.Delay(TimeSpan.FromSeconds(5), Ct); // a stream of telemetry in flight when the power goes
            var cut = DateTimeOffset.UtcNow;
            await gateway.KillAsync(); // SIGKILL

            var offline = await demo.FiringAlertAsync("gateway.offline", $"gateway:{DemoEstate.GatewayId}", TimeSpan.FromSeconds(60));
            Assert.Equal("critical", offline.GetProperty("severity").GetString());
            await Task.Delay(TimeSpan.FromSeconds(10), Ct);
            var open = (await demo.GetAsync("/api/alerts?state=open")).EnumerateArray().ToList();
            Assert.Single(open, a => a.GetProperty("ruleId").GetString() == "gateway.offline");
            Assert.DoesNotContain(open, a => a.GetProperty("ruleId").GetString() is "device.offline" or "device.stale");

            await gateway.DisposeAsync();
            gateway = StartGateway(demo.Demo);
            var back = DateTimeOffset.UtcNow;
            await Eventually.HoldsAsync(
                async () => (await demo.AlertsAsync("gateway.offline", $"gateway:{DemoEstate.GatewayId}")).All(a => a.GetProperty("state").GetString() == "resolved"),
                "the gateway-offline alert to resolve", TimeSpan.FromSeconds(60), Ct, DemoUnderTest.PollInterval);
            await demo.WaitUntilEveryDeviceIsOnlineAsync();
            Assert.Single(await demo.AlertsAsync("gateway.offline", $"gateway:{DemoEstate.GatewayId}"));

            // Nothing the gateway published is missing: no sequence gaps once the 30 s grace for stragglers has passed…
            await Task.Delay(TimeSpan.FromSeconds(35), Ct);
            var ingestion = await demo.GetAsync("/api/ingestion");
            Assert.DoesNotContain(ingestion.GetProperty("gaps").EnumerateArray(), g => g.GetProperty("gateway").GetString() == DemoEstate.GatewayId);
            Assert.Equal(0, ingestion.GetProperty("deadLettered").GetInt64());

            // …and every telemetry line reached InfluxDB, from before the cut and after the return.
            await Eventually.HoldsAsync(async () => Metric(await demo.Cloud.GetStringAsync("/metrics", Ct), "facilities_cloud_influx_buffered_lines") == 0, "InfluxDB writes to drain", TimeSpan.FromSeconds(30), Ct, DemoUnderTest.PollInterval);
            var metrics = await demo.Cloud.GetStringAsync("/metrics", Ct);
            Assert.True(Metric(metrics, "facilities_cloud_influx_lines_total{fate=\"written\"}") > 0);
            Assert.Equal(0, Metric(metrics, "facilities_cloud_influx_lines_total{fate=\"dropped\"}"));
            Assert.Equal(0, Metric(metrics, "facilities_cloud_influx_lines_total{fate=\"rejected\"}"));
            var before = await influx.RowsAsync("facilities", $"SELECT supply_temperature FROM boiler WHERE device = 'boiler-1' AND time < '{cut:O}'", Ct);
            var after = await influx.RowsAsync("facilities", $"SELECT supply_temperature FROM boiler WHERE device = 'boiler-1' AND time > '{back:O}'", Ct);
            Assert.NotEmpty(before);
            Assert.NotEmpty(after);
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    private static double Metric(string metrics, string name)
    {
        var match = Regex.Match(metrics, $"^{Regex.Escape(name)} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"metric {name} missing");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>The real gateway program with the demo's site file and credential, and its outbox on disk here.</summary>
    /// <remarks>
    /// It runs on this test host's runtime configuration and dependency list: next to an ASP.NET Core app the
    /// gateway's own list lacks Microsoft.Extensions.Hosting, which the shared framework provides here.
    /// </remarks>
    private ChildProcess StartGateway(DemoEstate demo)
    {
        var here = AppContext.BaseDirectory;
        return ChildProcess.Start("facilities-gateway", "dotnet",
        [
            "exec", "--runtimeconfig", Path.Combine(here, "Facilities.Demo.Tests.runtimeconfig.json"), "--depsfile", Path.Combine(here, "Facilities.Demo.Tests.deps.json"),
            Path.Combine(here, "facilities-gateway.dll"), "--site", demo.GatewaySiteFile, "--data", _gatewayData,
            "--Mqtt:Host", "127.0.0.1", "--Mqtt:Port", demo.MqttPort.ToString(CultureInfo.InvariantCulture),
            "--Mqtt:Username", demo.GatewayUsername, "--Mqtt:Password", demo.GatewayPassword,
            "--Mqtt:MaxReconnectDelay", "00:00:00.500", "--Gateway:MetricsPort", "0",
        ], new ChildProcessOptions { StopGrace = TimeSpan.Zero });
    }

    public void Dispose() => Directory.Delete(_gatewayData, recursive: true);
}

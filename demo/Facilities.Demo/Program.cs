using System.Diagnostics;
using System.Runtime.InteropServices;
using Facilities.Demo;

DemoOptions options;
try
{
    if (args is ["-h" or "--help" or "help"])
    {
        Console.WriteLine(DemoOptions.Usage);
        return 0;
    }

    options = DemoOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"facilities-demo: {e.Message}\n\n{DemoOptions.Usage}");
    return 2;
}

// Ctrl-C (SIGINT) or SIGTERM stops everything cleanly; a second Ctrl-C ends the process at once.
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = !stop.IsCancellationRequested;
    stop.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

var started = Stopwatch.StartNew();
Console.WriteLine("Facilities demo: starting the sample estate, a gateway and the cloud on this machine");
DemoEstate demo;
try
{
    demo = await DemoEstate.StartAsync(options, Console.Out, stop.Token);
}
catch (DemoPortTakenException e)
{
    Console.Error.WriteLine($"facilities-demo: {e.Message}; not starting.");
    return 2;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.WriteLine("Stopped before the demo was up.");
    return 0;
}

await using (demo)
{
    Console.WriteLine($"Waiting for the gateway's first readings of all {demo.DeviceCount} controllers …");
    var lastShown = -1;
    while (!stop.IsCancellationRequested && started.Elapsed < TimeSpan.FromMinutes(2))
    {
        var online = await demo.DevicesOnlineAsync(stop.Token);
        if (online != lastShown)
        {
            Console.WriteLine($"      {online,3}/{demo.DeviceCount} controllers online in the cloud");
            lastShown = online;
        }

        if (online >= demo.DeviceCount)
        {
            break;
        }

        try
        {
            await Task.Delay(1000, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    if (!stop.IsCancellationRequested)
    {
        Console.WriteLine(Summary(demo, started.Elapsed));
        await new ActivityFeed(demo, Console.Out, TimeProvider.System).RunAsync(stop.Token);
    }

    Console.WriteLine("Stopping: gateway, simulator, cloud, notification receiver …");
}

Console.WriteLine("Stopped cleanly.");
return 0;

static string Summary(DemoEstate demo, TimeSpan took)
{
    var sim = demo.SimulatorUrl == "http://127.0.0.1:5080" ? "" : $" --api {demo.SimulatorUrl}";
    var signIns = string.Join("\n", DemoSignIns.All.Select(u => $"    {u.Name,-9} / {u.Password,-14} {u.Sees}"));
    return $"""

        Ready in {took.TotalSeconds:0} s. Everything listens on 127.0.0.1 only; data in {demo.DataDirectory} (wiped at each start).

        Pages and API (cloud)
          {demo.CloudUrl}/                              start page: sign in
          {demo.CloudUrl}/api/alerts?state=open         open alerts (JSON)
          {demo.CloudUrl}/api/work-orders               work orders with their deadlines
          {demo.CloudUrl}/api/sites/{DemoEstate.Site}/chargers    charger availability (residents, no sign-in)
          {demo.CloudUrl}/metrics                       Prometheus metrics
        Demo sign-ins (user / password):
        {signIns}

        Telemetry history: {(demo.Options.InfluxUrl.Length == 0 ? "off (no InfluxDB; --influx URL turns it on)" : $"InfluxDB {demo.Options.InfluxUrl}, database {demo.Options.InfluxDatabase}")}
        Simulator control API: {demo.SimulatorUrl}     MQTT broker: 127.0.0.1:{demo.MqttPort} (gateway user {demo.GatewayUsername})
        Notifications (local webhook log): {demo.Notifications.Path}

        Inject a fault from a second terminal:
          dotnet run --project firmware-sim/Facilities.FirmwareSim -- inject b03-elevator-2 trapped-at-floor{sim}
        and clear it:
          dotnet run --project firmware-sim/Facilities.FirmwareSim -- clear b03-elevator-2 trapped-at-floor{sim}
        Other faults: `… -- show b03-elevator-2`, `… -- inject aed-1 aed-removed`, `… -- inject boiler-1 supply-temperature-low`.

        Alerts, work orders and notifications appear below as they happen. Ctrl-C stops everything.

        """;
}

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
        var pages = await PagesAsync(demo, stop.Token);
        Console.WriteLine(Summary(demo, pages, started.Elapsed));
        await new ActivityFeed(demo, Console.Out, TimeProvider.System).RunAsync(stop.Token);
    }

    Console.WriteLine("Stopping: gateway, simulator, cloud, notification receiver …");
}

Console.WriteLine("Stopped cleanly.");
return 0;

// The pages the cloud serves (they arrive one by one; list only those that answer).
static async Task<IReadOnlyList<string>> PagesAsync(DemoEstate demo, CancellationToken cancellationToken)
{
    (string Path, string What)[] candidates =
    [
        ("/chargers", "charger availability for residents (no sign-in)"),
        ("/sign-in", "sign in with a demo user below"),
        ("/console", "engineer console: alerts and work orders"),
        ("/elevators", "crew: elevator health"),
        ("/admin/users", "admin: users and API tokens"),
    ];
    using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(demo.CloudUrl) };
    var found = new List<string>();
    foreach (var (path, what) in candidates)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            found.Add($"  {demo.CloudUrl + path,-40} {what}");
        }
    }

    return found;
}

static string Summary(DemoEstate demo, IReadOnlyList<string> pages, TimeSpan took)
{
    var sim = demo.SimulatorUrl == "http://127.0.0.1:5080" ? "" : $" --api {demo.SimulatorUrl}";
    var signIns = string.Join("\n", DemoSignIns.All.Select(u => $"  {u.Name,-9} / {u.Password,-14} {u.Role}: {u.Sees}"));
    var pageList = pages.Count == 0 ? "  (no pages yet: use the API below)" : string.Join("\n", pages);
    return $"""

        Ready in {took.TotalSeconds:0} s. Everything listens on 127.0.0.1 only; data in {demo.DataDirectory} (wiped at each start).

        Pages (open in a browser)
        {pageList}
        Demo sign-ins (user / password):
        {signIns}

        API (JSON), with the engineer's token made for this run:
          curl -H 'authorization: Bearer {demo.EngineerToken}' '{demo.CloudUrl}/api/alerts?state=open'
          curl -H 'authorization: Bearer {demo.EngineerToken}' '{demo.CloudUrl}/api/work-orders'
          curl '{demo.CloudUrl}/api/sites/{DemoEstate.Site}/chargers'                  (public)
        Telemetry history: {(demo.Options.InfluxUrl.Length == 0 ? "off (no InfluxDB; --influx URL turns it on)" : $"InfluxDB {demo.Options.InfluxUrl}, database {demo.Options.InfluxDatabase}")}
        Simulator control API: {demo.SimulatorUrl}     MQTT broker: 127.0.0.1:{demo.MqttPort} (gateway user {demo.GatewayUsername})
        Notifications (local webhook log): {demo.Notifications.Path}

        Inject a fault from a second terminal:
          dotnet run --project firmware-sim/Facilities.FirmwareSim -- inject b03-elevator-2 trapped-at-floor{sim}
        and clear it:
          dotnet run --project firmware-sim/Facilities.FirmwareSim -- clear b03-elevator-2 trapped-at-floor{sim}
        Others: `… -- inject aed-1 aed-removed`, `… -- inject boiler-1 supply-temperature-low`, `… -- plug shed-1 --port 3`, `… -- show b03-elevator-2`.

        Alerts, work orders and notifications appear below as they happen. Ctrl-C stops everything.

        """;
}

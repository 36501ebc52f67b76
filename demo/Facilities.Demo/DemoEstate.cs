using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dapper;
using Facilities.Cloud;
using Facilities.Cloud.Access;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.ReadModels;
using Facilities.Cloud.Storage;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Control;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;

namespace Facilities.Demo;

/// <summary>A port the demo needs is in use; the message names the port, what it is for and the option to change it.</summary>
public sealed class DemoPortTakenException(string message) : Exception(message);

/// <summary>
/// The whole product on one machine: the sample estate in firmware-sim (72 controllers on Modbus TCP, RTU-over-TCP and
/// serial ptys), one gateway polling all of it, the cloud with its embedded MQTT broker and SQLite, and a local webhook
/// receiver for notifications. The demo's program and the scenario tests start exactly this.
/// </summary>
public sealed partial class DemoEstate : IAsyncDisposable
{
    public const string Site = "estate-a";
    public const string GatewayId = "gw-estate-a";

    private readonly List<Func<ValueTask>> _stops = [];
    private readonly ILoggerFactory _logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

    private DemoEstate(DemoOptions options, string dataDirectory)
    {
        Options = options;
        DataDirectory = dataDirectory;
        GatewayUsername = $"{Site}/{GatewayId}";
        GatewayPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
    }

    public DemoOptions Options { get; }

    public string DataDirectory { get; }

    /// <summary>The gateway's broker credential, made for this run (one credential per gateway, as in production).</summary>
    public string GatewayUsername { get; }

    public string GatewayPassword { get; }

    public WebApplication Cloud { get; private set; } = null!;

    public string CloudUrl { get; private set; } = "";

    public int MqttPort { get; private set; }

    public CommunityHost Community { get; private set; } = null!;

    public string SimulatorUrl { get; private set; } = "";

    /// <summary>The gateway's site file, written for the ports and links of this run.</summary>
    public string GatewaySiteFile { get; private set; } = "";

    public GatewayRuntime? Gateway { get; private set; }

    public NotificationLog Notifications { get; private set; } = null!;

    /// <summary>An API token of the demo's engineer, for curl and the scenario tests (the data folder is wiped at each start).</summary>
    public string EngineerToken { get; private set; } = "";

    /// <summary>What the history backfill at start wrote (<see cref="DemoHistory"/>).</summary>
    public DemoBackfill Backfill { get; private set; } = null!;

    /// <summary>The devices the gateway polls (the sample estate's).</summary>
    public int DeviceCount => Community.Devices.Count;

    public static async Task<DemoEstate> StartAsync(DemoOptions options, TextWriter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var community = CommunityLoader.Load(Path.Combine(AppContext.BaseDirectory, "communities", "sample-estate.json"));
        CheckPortsAreFree(options, community);

        var data = Path.GetFullPath(options.DataDirectory);
        StartFresh(data);
        var demo = new DemoEstate(options, data) { MqttPort = options.MqttPort == 0 ? FreePort() : options.MqttPort };
        try
        {
            await demo.StartAllAsync(community, progress, cancellationToken);
        }
        catch
        {
            await demo.DisposeAsync();
            throw;
        }

        return demo;
    }

    private async Task StartAllAsync(CommunityFile community, TextWriter progress, CancellationToken cancellationToken)
    {
        await progress.WriteLineAsync("[1/4] notification receiver (a local webhook writing a log file)");
        Notifications = await NotificationLog.StartAsync(Options.WebhookPort, Path.Combine(DataDirectory, "notifications.log"), TimeProvider.System, cancellationToken);
        _stops.Add(Notifications.DisposeAsync);

        await progress.WriteLineAsync("[2/4] cloud: embedded MQTT broker, SQLite, rules, alerts, work orders, web API");
        Cloud = CloudApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(CloudSettings());
            builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true);
        });
        await Cloud.StartAsync(cancellationToken);
        _stops.Add(async () =>
        {
            await Cloud.StopAsync(CancellationToken.None);
            await Cloud.DisposeAsync();
        });
        CloudUrl = Cloud.Urls.First();
        await Cloud.Services.GetRequiredService<MqttIngestor>().Subscribed.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        EngineerToken = await Cloud.Services.GetRequiredService<UserStore>().IssueTokenAsync(DemoSignIns.Engineer.Name, "demo", cancellationToken)
            ?? throw new InvalidOperationException($"the cloud did not create the demo user '{DemoSignIns.Engineer.Name}'");

        // The history ends now, before the live estate starts, so the live counters carry on from where it ends. Its
        // simulation takes seconds of processor time: it runs while the estate and the gateway start (mostly waiting on
        // sockets and serial lines), and the cloud's stop waits for it.
        var site = SiteLoader.Load(Path.Combine(AppContext.BaseDirectory, "sites", "sample-estate.json"), Path.Combine(AppContext.BaseDirectory, "profiles"));
        var until = TimeProvider.System.GetUtcNow();
        var history = Task.Run(() => DemoHistory.BackfillAsync(Cloud.Services.GetRequiredService<HistoryBackfill>(), community, site, until, cancellationToken), cancellationToken);
        _stops.Add(async () =>
        {
            try
            {
                await history;
            }
            catch (Exception) when (!history.IsCompletedSuccessfully)
            {
                // The start failed or was cancelled; what went wrong is reported there.
            }
        });

        await progress.WriteLineAsync($"[3/4] simulated estate: {community.Devices.Sum(d => Math.Max(1, d.Count))} controllers on {community.Buses.Count} buses");
        var simulator = WebApplication.CreateSlimBuilder();
        simulator.WebHost.UseUrls($"http://127.0.0.1:{Options.SimPort}");
        simulator.Logging.ClearProviders();
        var control = simulator.Build();
        Community = await CommunityHost.StartAsync(ForThisRun(community), TimeProvider.System, _logs.CreateLogger("Facilities.FirmwareSim"), cancellationToken);
        _stops.Add(async () =>
        {
            await control.StopAsync(CancellationToken.None);
            await control.DisposeAsync();
            await Community.DisposeAsync();
        });
        control.MapControlApi(Community);
        await control.StartAsync(cancellationToken);
        SimulatorUrl = control.Urls.First();
        foreach (var bus in Community.Buses)
        {
            await progress.WriteLineAsync($"      bus {bus.Id,-11} {bus.Type,-13} {bus.Endpoint,-34} units {bus.Units.Min()}..{bus.Units.Max()}");
        }

        GatewaySiteFile = WriteGatewaySite();
        if (Options.StartGateway)
        {
            await progress.WriteLineAsync($"[4/4] gateway {GatewayId}: polls every controller, publishes to the cloud's broker as {GatewayUsername}");
            Gateway = StartGateway();
        }
        else
        {
            await progress.WriteLineAsync($"[4/4] gateway not started here: run facilities-gateway --site {GatewaySiteFile}");
        }

        Backfill = await history;
        await progress.WriteLineAsync(Describe(Backfill));
    }

    private GatewayRuntime StartGateway()
    {
        var site = SiteLoader.Load(GatewaySiteFile, Path.Combine(AppContext.BaseDirectory, "profiles"));
        var runtime = GatewayRuntime.Start(
            site,
            new GatewayOptions { DataDirectory = Path.Combine(DataDirectory, "gateway"), MetricsPort = 0 },
            new MqttOptions { Host = "127.0.0.1", Port = MqttPort, Username = GatewayUsername, Password = GatewayPassword },
            TimeProvider.System,
            _logs);
        _stops.Add(runtime.DisposeAsync);
        return runtime;
    }

    private Dictionary<string, string?> CloudSettings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = $"http://127.0.0.1:{Options.WebPort}",
            ["Storage:Provider"] = "sqlite",
            ["Rules:SiteDirectory"] = Path.Combine(AppContext.BaseDirectory, "rules-sites"),
            ["Storage:ConnectionString"] = $"Data Source={Path.Combine(DataDirectory, "facilities-cloud.db")}",
            ["Mqtt:Host"] = "", // the embedded broker
            ["Broker:Port"] = MqttPort.ToString(CultureInfo.InvariantCulture),
            ["Broker:BindAddress"] = "127.0.0.1",
            ["Broker:PersistenceDirectory"] = Path.Combine(DataDirectory, "broker"),
            ["Broker:Users:0:Username"] = GatewayUsername,
            ["Broker:Users:0:Password"] = GatewayPassword,
            ["Broker:Users:0:Role"] = "gateway",
            ["Broker:Users:0:Site"] = Site,
            ["Broker:Users:0:Gateway"] = GatewayId,
            ["Influx:Url"] = Options.InfluxUrl,
            ["Influx:Database"] = Options.InfluxDatabase,
            ["Notifications:Channels:demo-webhook:Type"] = "webhook",
            ["Notifications:Channels:demo-webhook:Url"] = Notifications.Url,
            ["Notifications:Contacts:duty:Name"] = "值班工程师 Duty engineer (demo)",
            ["Notifications:Contacts:duty:Channels:0"] = "demo-webhook",
            ["Notifications:Routes:0:Name"] = "everything",
            ["Notifications:Routes:0:Sites:0"] = "*",
            ["Notifications:Routes:0:MinSeverity"] = "warning",
            ["Notifications:Routes:0:Escalation:0"] = "duty",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "None",
            ["Logging:LogLevel:Facilities.Cloud.Alerts.AlertStore"] = "Error", // the demo's activity feed shows alerts
            ["Logging:LogLevel:Facilities.Cloud.TelemetryStore.NoHistoryNotice"] = Options.InfluxUrl.Length == 0 ? "None" : "Warning", // said in the summary
        };
        for (var i = 0; i < DemoSignIns.All.Count; i++)
        {
            var user = DemoSignIns.All[i];
            settings[$"Identity:SeedUsers:{i}:Name"] = user.Name;
            settings[$"Identity:SeedUsers:{i}:Role"] = user.Role;
            settings[$"Identity:SeedUsers:{i}:Password"] = user.Password;
        }

        return settings;
    }

    private static string Describe(DemoBackfill backfill)
    {
        var result = backfill.Result;
        var days = result.CounterDaysSkipped is { } daysSkipped ? $"counter days not written: {daysSkipped}" : $"{result.CounterDays} counter days";
        var lines = result.LinesSkipped is { } linesSkipped ? $"InfluxDB lines not written: {linesSkipped}" : $"{result.Lines} InfluxDB lines";
        return string.Create(CultureInfo.InvariantCulture,
            $"      history (since the cloud started): the last {backfill.Until - backfill.From:%d} days of {backfill.Devices} controllers simulated (healthy; a poll every {backfill.PollInterval.TotalMinutes:0} min, {backfill.Messages} messages) in {backfill.Took.TotalSeconds:0.0} s (the process used {backfill.CpuTime.TotalSeconds:0.0} s of processor time meanwhile); {days}; {lines}");
    }

    /// <summary>A free loopback port now (for the broker, whose port the gateway must know before the cloud starts).</summary>
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The sample estate with this run's ports, pty links and speed.</summary>
    private CommunityFile ForThisRun(CommunityFile community)
    {
        var tcp = 0;
        var buses = community.Buses.Select(bus => bus.Type == "serial"
            ? bus with { Link = Path.Combine(Path.GetFullPath(Options.SerialDirectory), Path.GetFileName(bus.Link!)), Pty = "libc" }
            : bus with { Port = Options.ModbusPort == 0 ? 0 : Options.ModbusPort + tcp++ }).ToList();
        return community with { Buses = buses, Speed = Options.Speed };
    }

    /// <summary>The gateway's shipped sample-estate site file, pointed at this run's buses.</summary>
    private string WriteGatewaySite()
    {
        var site = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "sites", "sample-estate.json")))!.AsObject();
        site["profiles"] = Path.Combine(AppContext.BaseDirectory, "profiles");
        foreach (var bus in site["buses"]!.AsArray().Select(b => b!.AsObject()))
        {
            var running = Community.Buses.Single(b => b.Id == bus["id"]!.GetValue<string>());
            if (running.Type == "serial")
            {
                bus["device"] = running.Endpoint;
            }
            else
            {
                var endpoint = running.Endpoint.Split(':');
                bus["host"] = endpoint[0];
                bus["port"] = int.Parse(endpoint[1], CultureInfo.InvariantCulture);
            }
        }

        var path = Path.Combine(DataDirectory, "gateway-site.json");
        File.WriteAllText(path, site.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>Devices the cloud currently sees online.</summary>
    public async Task<int> DevicesOnlineAsync(CancellationToken cancellationToken)
    {
        await using var connection = await Cloud.Services.GetRequiredService<CloudDatabase>().OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM devices WHERE state = 'online'");
    }

    private static void CheckPortsAreFree(DemoOptions options, CommunityFile community)
    {
        var tcpBuses = community.Buses.Count(b => b.Type != "serial");
        List<(int Port, string What, string Option)> wanted =
        [
            (options.WebPort, "the cloud's web pages and API", "--web-port"),
            (options.MqttPort, "the cloud's embedded MQTT broker", "--mqtt-port"),
            (options.SimPort, "the simulator's control API", "--sim-port"),
            (options.WebhookPort, "the notification receiver", "--webhook-port"),
        ];
        if (options.ModbusPort != 0)
        {
            wanted.AddRange(Enumerable.Range(options.ModbusPort, tcpBuses).Select(p => (p, "a simulated Modbus bus", "--modbus-port")));
        }

        foreach (var (port, what, option) in wanted.Where(w => w.Port != 0))
        {
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
            }
            catch (SocketException)
            {
                throw new DemoPortTakenException($"port {port} on 127.0.0.1 ({what}) is already in use: stop whatever uses it (`ss -ltnp 'sport = :{port}'` shows it) or pass {option} with another port");
            }
        }
    }

    /// <summary>Every run starts from an empty database, broker and outbox, so what the demo shows is what this run did.</summary>
    private static void StartFresh(string data)
    {
        Directory.CreateDirectory(data);
        foreach (var file in new[] { "facilities-cloud.db", "facilities-cloud.db-wal", "facilities-cloud.db-shm", "notifications.log", "gateway-site.json" })
        {
            File.Delete(Path.Combine(data, file));
        }

        foreach (var directory in new[] { "broker", "gateway" })
        {
            var path = Path.Combine(data, directory);
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
    }

    /// <summary>Stops the gateway, the simulator, the cloud and the receiver, in that order.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _stops.Count - 1; i >= 0; i--)
        {
            await _stops[i]();
        }

        _stops.Clear();
        _logs.Dispose();
    }
}

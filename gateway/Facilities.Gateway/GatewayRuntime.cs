using System.IO.Ports;
using Facilities.Gateway.Commands;
using Facilities.Gateway.Outbox;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Publishing;
using Facilities.Gateway.Site;
using Facilities.Modbus.Framing;
using Facilities.Modbus.Master;
using Facilities.Modbus.Serial;
using Facilities.Telemetry;

namespace Facilities.Gateway;

public sealed record GatewayOptions
{
    // Settable rather than init-only: the source-generated configuration binder (Native AOT) skips init-only properties.
    /// <summary>Where the outbox lives (an SD card path on a Raspberry Pi).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>How often the retained gateway status is refreshed.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(60);

    public PollingPolicy Polling { get; set; } = new();

    /// <summary>Local port for Prometheus metrics (<c>/metrics</c> on 127.0.0.1); 0 turns the endpoint off.</summary>
    public int MetricsPort { get; set; } = 9108;
}

/// <summary>
/// A running gateway: one poll lane per serial line or converter (one transaction at a time), one lane per device on
/// a Modbus TCP endpoint (concurrent up to the bus's limit), the outbox, the MQTT publisher and the status refresh.
/// </summary>
public sealed class GatewayRuntime : IAsyncDisposable
{
    private readonly List<ModbusMaster> _masters = [];
    private readonly List<Task> _tasks = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly GatewayIdentity _identity;
    private readonly TimeProvider _time;

    private GatewayRuntime(GatewayIdentity identity, DiskOutbox outbox, TimeProvider time)
    {
        _identity = identity;
        Outbox = outbox;
        _time = time;
    }

    public DiskOutbox Outbox { get; }

    public MqttPublisher Publisher { get; private set; } = null!;

    public List<PollLane> Lanes { get; } = [];

    public Metrics.MetricsEndpoint? Metrics { get; private set; }

    public IEnumerable<DevicePoller> Devices => Lanes.SelectMany(l => l.Devices);

    public static GatewayRuntime Start(LoadedSite site, GatewayOptions options, MqttOptions mqtt, TimeProvider time, ILoggerFactory logs)
    {
        var identity = new GatewayIdentity(site.File.Site, site.File.Gateway, typeof(GatewayRuntime).Assembly.GetName().Version?.ToString() ?? "0");
        var outbox = new DiskOutbox(new OutboxOptions { Directory = Path.Combine(options.DataDirectory, "outbox") }, logs.CreateLogger("Facilities.Gateway.Outbox"));
        var runtime = new GatewayRuntime(identity, outbox, time);
        var pollLogger = logs.CreateLogger("Facilities.Gateway.Polling");
        var writable = new Dictionary<string, (PolledDevice, ModbusMaster)>(StringComparer.Ordinal);
        foreach (var bus in site.File.Buses)
        {
            var pollers = site.Devices.Where(d => d.Entry.Bus == bus.Id)
                .Select(d => new DevicePoller(new PolledDevice(identity.Site, identity.Gateway, d.Id, d.Entry.Building, d.Unit, d.Profile, d.Interval), outbox, time, options.Polling, pollLogger))
                .ToList();
            if (pollers.Count == 0)
            {
                continue;
            }

            var master = CreateMaster(bus);
            runtime._masters.Add(master);
            foreach (var poller in pollers)
            {
                writable[poller.Id] = (poller.Device, master);
            }

            if (bus.Type == "tcp")
            {
                var concurrency = new SemaphoreSlim(bus.MaxRequestsInFlight, bus.MaxRequestsInFlight);
                runtime.Lanes.AddRange(pollers.Select(p => new PollLane($"{bus.Id}/{p.Id}", master, [p], time, concurrency)));
            }
            else
            {
                runtime.Lanes.Add(new PollLane(bus.Id, master, pollers, time));
            }
        }

        var commands = new CommandExecutor(writable, outbox, identity, time, logs.CreateLogger("Facilities.Gateway.Commands"));
        runtime.Publisher = new MqttPublisher(mqtt, identity, outbox, runtime.Status, logs.CreateLogger("Facilities.Gateway.Publishing"), commands.ExecuteAsync);
        var token = runtime._stopping.Token;
        runtime._tasks.AddRange(runtime.Lanes.Select(l => l.RunAsync(token)));
        runtime._tasks.Add(runtime.Publisher.RunAsync(token));
        runtime._tasks.Add(runtime.RefreshStatusAsync(options.StatusInterval, token));
        if (options.MetricsPort > 0)
        {
            runtime.Metrics = new Metrics.MetricsEndpoint(runtime, options.MetricsPort, time);
        }

        return runtime;
    }

    private static ModbusMaster CreateMaster(SiteBus bus) => bus.Type switch
    {
        "tcp" => ModbusMaster.CreateTcp(new ModbusTcpMasterOptions
        {
            Host = bus.Host, Port = bus.Port, RequestTimeout = bus.Timeout, MaxRequestsInFlight = bus.MaxRequestsInFlight,
        }),
        "rtu-over-tcp" => ModbusMaster.CreateRtuOverTcp(new ModbusRtuOverTcpMasterOptions
        {
            Host = bus.Host, Port = bus.Port, RequestTimeout = bus.Timeout, Timing = RtuTiming.ForNetwork(turnaroundDelay: bus.Turnaround),
        }),
        _ => SerialLine.CreateMaster(new SerialLineOptions
        {
            PortName = bus.Device,
            BaudRate = bus.BaudRate,
            Parity = bus.Parity switch { "none" => Parity.None, "odd" => Parity.Odd, _ => Parity.Even },
            StopBits = bus.StopBits == 2 ? StopBits.Two : StopBits.One,
            TurnaroundDelay = bus.Turnaround,
        }, bus.Timeout),
    };

    /// <summary>The gateway's status as published (retained) and as its last will.</summary>
    public GatewayStatusMessage Status()
    {
        var devices = Devices.ToList();
        return new GatewayStatusMessage(Schema.Version, 0, _time.GetUtcNow(), _identity.Gateway, "online", _identity.Version,
            devices.Count, devices.Count(d => d.Online == true), Outbox.Depth, Outbox.Dropped);
    }

    private async Task RefreshStatusAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, _time, cancellationToken);
                Outbox.Enqueue(Topics.GatewayStatus(_identity.Site, _identity.Gateway), retain: true, MessageClass.Event,
                    seq => MessageJson.Serialize(Status() with { Seq = seq }));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_tasks);
        if (Metrics is not null)
        {
            await Metrics.DisposeAsync();
        }

        foreach (var master in _masters)
        {
            await master.DisposeAsync();
        }

        await Outbox.DisposeAsync();
        _stopping.Dispose();
    }
}

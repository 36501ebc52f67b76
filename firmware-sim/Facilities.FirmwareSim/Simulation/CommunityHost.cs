using System.IO.Ports;
using System.Net;
using System.Net.Sockets;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Devices;
using Facilities.Modbus.Serial;
using Facilities.Modbus.Slave;

namespace Facilities.FirmwareSim.Simulation;

/// <summary>A running bus: where masters reach it, and the units on it.</summary>
public sealed record RunningBus(string Id, string Type, string Endpoint, int BaudRate, string Parity, IReadOnlyList<int> Units);

/// <summary>
/// Runs a community: one Modbus endpoint per bus (TCP listener, RTU-over-TCP listener, or a serial line on a pty
/// pair), every device's registers on its bus, and a ticker that advances simulated time for all of them.
/// </summary>
public sealed partial class CommunityHost : IAsyncDisposable
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(200);

    private readonly List<IAsyncDisposable> _resources = [];
    private readonly List<Task> _lines = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, DeviceModel> _devices;
    private readonly ILogger _logger;
    private Task _ticker = Task.CompletedTask;

    private CommunityHost(CommunityFile file, SimulationClock clock, IReadOnlyList<DeviceModel> devices, ILogger logger)
    {
        File = file;
        Clock = clock;
        Devices = devices;
        _devices = devices.ToDictionary(d => d.Id, StringComparer.Ordinal);
        _logger = logger;
    }

    public CommunityFile File { get; }

    public SimulationClock Clock { get; }

    public IReadOnlyList<DeviceModel> Devices { get; }

    public List<RunningBus> Buses { get; } = [];

    public DeviceModel? Find(string id) => _devices.GetValueOrDefault(id);

    public static async Task<CommunityHost> StartAsync(CommunityFile file, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var clock = new SimulationClock(time, file.Speed);
        var host = new CommunityHost(file, clock, CommunityLoader.CreateDevices(file, clock.Now), logger);
        try
        {
            foreach (var bus in file.Buses)
            {
                await host.StartBusAsync(bus, cancellationToken);
            }
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        host._ticker = host.TickAsync();
        LogStarted(logger, file.Name, host.Devices.Count, host.Buses.Count, file.Speed);
        return host;
    }

    private async Task StartBusAsync(BusEntry bus, CancellationToken cancellationToken)
    {
        var slave = new ModbusSlave();
        foreach (var device in Devices.Where(d => d.Identity.Bus == bus.Id))
        {
            slave.Add(device.Unit);
        }

        var units = slave.Units.Select(u => (int)u.UnitId).Order().ToList();
        var address = IPAddress.Parse(File.ListenAddress);
        switch (bus.Type)
        {
            case "tcp":
            case "rtu-over-tcp":
            {
                var endpoint = new IPEndPoint(address, bus.Port);
                ModbusSlaveServer server;
                try
                {
                    server = bus.Type == "tcp" ? ModbusSlaveServer.StartTcp(slave, endpoint) : ModbusSlaveServer.StartRtuOverTcp(slave, endpoint);
                }
                catch (SocketException e)
                {
                    throw new InvalidOperationException($"Bus '{bus.Id}': cannot listen on {endpoint}: {e.Message}", e);
                }

                _resources.Add(server);
                Buses.Add(new RunningBus(bus.Id, bus.Type, $"{server.LocalEndpoint.Address}:{server.LocalEndpoint.Port}", bus.BaudRate, bus.Parity, units));
                break;
            }

            default:
            {
                var options = new SerialLineOptions
                {
                    PortName = bus.Link!,
                    BaudRate = bus.BaudRate,
                    Parity = bus.Parity switch { "none" => Parity.None, "odd" => Parity.Odd, _ => Parity.Even },
                    StopBits = bus.Parity == "none" ? StopBits.Two : StopBits.One,
                };
                Stream line;
                if (bus.Pty == "socat")
                {
                    var pair = await PtyPair.CreateAsync(bus.Link!, cancellationToken);
                    _resources.Add(pair);
                    line = SerialLine.Open(options with { PortName = pair.SimulatorEnd });
                }
                else
                {
                    line = LibcPty.Open(bus.Link!);
                }

                if (bus.LineTiming)
                {
                    line = new LineTimedStream(line, bus.BaudRate);
                }

                _lines.Add(ServeLineAsync(bus.Id, slave, line, options));
                Buses.Add(new RunningBus(bus.Id, bus.Type, bus.Link!, bus.BaudRate, bus.Parity, units));
                break;
            }
        }
    }

    private async Task ServeLineAsync(string busId, ModbusSlave slave, Stream line, SerialLineOptions options)
    {
        await using (line)
        {
            try
            {
                await RtuSlaveLine.ServeAsync(slave, line, options.Timing, _stopping.Token);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                if (!_stopping.IsCancellationRequested)
                {
                    LogLineStopped(_logger, busId, e.Message);
                }
            }
        }
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(TickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                Advance();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Advances every device to the clock's now (the ticker does this five times a second).</summary>
    public void Advance()
    {
        var now = Clock.Now;
        foreach (var device in Devices)
        {
            device.Advance(now);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _ticker;
        foreach (var resource in _resources)
        {
            await resource.DisposeAsync();
        }

        await Task.WhenAll(_lines);
        _stopping.Dispose();
    }

    [LoggerMessage(1, LogLevel.Information, "Community '{Name}' is running: {Devices} devices on {Buses} buses, speed x{Speed}")]
    private static partial void LogStarted(ILogger logger, string name, int devices, int buses, double speed);

    [LoggerMessage(2, LogLevel.Warning, "Serial bus {Bus} stopped serving: {Reason}")]
    private static partial void LogLineStopped(ILogger logger, string bus, string reason);
}

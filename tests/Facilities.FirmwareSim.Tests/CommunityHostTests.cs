using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Control;
using Facilities.FirmwareSim.Devices.Elevator;
using Facilities.FirmwareSim.Simulation;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Serial;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.FirmwareSim.Tests;

public sealed class CommunityHostTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fsim-test-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private CommunityFile Community(int elevators, int sheds, int boilersOnSerial, double speed = 1) => new()
    {
        Name = "test",
        Speed = speed,
        Sites = [new SiteEntry { Id = "s", Buildings = [new BuildingEntry { Id = "b" }] }],
        Buses =
        [
            new BusEntry { Id = "tcp", Type = "tcp", Port = 0 },
            new BusEntry { Id = "conv", Type = "rtu-over-tcp", Port = 0 },
            new BusEntry { Id = "line", Type = "serial", Link = Path.Combine(_directory, "line"), BaudRate = 38400 },
        ],
        Devices =
        [
            new DeviceEntry { Id = "lift", Kind = "elevator", Site = "s", Building = "b", Bus = "tcp", Unit = 1, Count = elevators },
            new DeviceEntry { Id = "shed", Kind = "charger-shed", Site = "s", Building = "b", Bus = "conv", Unit = 1, Count = sheds },
            new DeviceEntry { Id = "boiler", Kind = "boiler", Site = "s", Building = "b", Bus = "line", Unit = 1, Count = boilersOnSerial },
        ],
    };

    /// <summary>The control API on a free loopback port, as `facilities-sim run` serves it.</summary>
    private static async Task<WebApplication> StartControlApiAsync(CommunityHost host)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapControlApi(host);
        await app.StartAsync(Ct);
        return app;
    }

    private static string HostOf(RunningBus bus) => bus.Endpoint.Split(':')[0];

    private static int PortOf(RunningBus bus) => int.Parse(bus.Endpoint.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Community_OfMoreThanHundredDevices_StartsUnderTenSecondsAndEveryDeviceAnswers()
    {
        var started = Stopwatch.StartNew();
        await using var host = await CommunityHost.StartAsync(Community(elevators: 80, sheds: 30, boilersOnSerial: 10), TimeProvider.System, NullLogger.Instance, Ct);
        var startup = started.Elapsed;
        Assert.Equal(120, host.Devices.Count);
        Assert.True(startup < TimeSpan.FromSeconds(10), $"started in {startup}");

        var buses = host.Buses.ToDictionary(b => b.Id);
        await using var tcp = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = HostOf(buses["tcp"]), Port = PortOf(buses["tcp"]), MaxRequestsInFlight = 8 });
        await using var conv = ModbusMaster.CreateRtuOverTcp(new ModbusRtuOverTcpMasterOptions { Host = HostOf(buses["conv"]), Port = PortOf(buses["conv"]) });
        await using var line = SerialLine.CreateMaster(new SerialLineOptions { PortName = buses["line"].Endpoint, BaudRate = 38400 });
        var answers = 0;
        await Task.WhenAll(Enumerable.Range(1, 80).Select(async unit =>
        {
            var trips = await tcp.ReadInputRegistersAsync((byte)unit, 8, 2, Ct);
            Assert.True(trips.IsSuccess);
            Interlocked.Increment(ref answers);
        }));
        for (var unit = 1; unit <= 30; unit++)
        {
            Assert.Equal(12, (await conv.ReadInputRegistersAsync((byte)unit, 1, 1, Ct)).Value[0]);
            answers++;
        }

        for (var unit = 1; unit <= 10; unit++)
        {
            Assert.True((await line.ReadHoldingRegistersAsync((byte)unit, 0, 14, Ct)).IsSuccess);
            answers++;
        }

        Assert.Equal(120, answers);
    }

    [Fact]
    public async Task ControlApi_InjectClearOfflineOnline_ShowInModbus()
    {
        await using var host = await CommunityHost.StartAsync(Community(elevators: 2, sheds: 1, boilersOnSerial: 1), TimeProvider.System, NullLogger.Instance, Ct);
        await using var app = await StartControlApiAsync(host);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var tcp = host.Buses.Single(b => b.Id == "tcp");
        await using var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = HostOf(tcp), Port = PortOf(tcp), RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var faultCode = ElevatorMap.Map["fault_code"];

        var devices = await http.GetFromJsonAsync<JsonElement[]>("/devices", Ct);
        Assert.Equal(4, devices!.Length);

        var inject = await http.PostAsync("/devices/lift-2/faults/trapped-at-floor", null, Ct);
        Assert.Equal(HttpStatusCode.OK, inject.StatusCode);
        Assert.Equal(ElevatorFaults.Code("trapped-at-floor"), (await master.ReadInputRegistersAsync(2, faultCode.Address, 1, Ct)).Value[0]);
        Assert.Equal(0, (await master.ReadInputRegistersAsync(1, faultCode.Address, 1, Ct)).Value[0]);

        var detail = await http.GetFromJsonAsync<JsonElement>("/devices/lift-2", Ct);
        Assert.Equal("trapped-at-floor", detail.GetProperty("faults")[0].GetString());
        Assert.Equal(1, detail.GetProperty("values").GetProperty("occupied").GetDouble());

        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync("/devices/lift-2/faults/trapped-at-floor", Ct)).StatusCode);
        Assert.Equal(0, (await master.ReadInputRegistersAsync(2, faultCode.Address, 1, Ct)).Value[0]);

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/devices/lift-1/offline", null, Ct)).StatusCode);
        await Assert.ThrowsAsync<ModbusTimeoutException>(async () => await master.ReadInputRegistersAsync(1, 0, 1, Ct));
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/devices/lift-1/online", null, Ct)).StatusCode);
        Assert.True((await master.ReadInputRegistersAsync(1, 0, 1, Ct)).IsSuccess);

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/devices/lift-1/faults/comm-busy", null, Ct)).StatusCode);
        Assert.Equal(ModbusExceptionCode.ServerDeviceBusy, (await master.ReadInputRegistersAsync(1, 0, 1, Ct)).ExceptionCode);
    }

    [Fact]
    public async Task ControlApi_PlugAndUnplug_MoveThePortsStatus()
    {
        // Frozen time: no resident arrives on their own, so only the API's plug-ins change the ports.
        await using var host = await CommunityHost.StartAsync(Community(elevators: 1, sheds: 1, boilersOnSerial: 1, speed: 0), TimeProvider.System, NullLogger.Instance, Ct);
        await using var app = await StartControlApiAsync(host);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var shed = host.Find("shed")!;
        Assert.Equal(0, shed.Values()["port_3_status"]);

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/devices/shed/ports/3/plug", null, Ct)).StatusCode);
        Assert.Equal(1, shed.Values()["port_3_status"]);
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsync("/devices/shed/ports/3/plug", null, Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/devices/shed/ports/3/unplug", null, Ct)).StatusCode);
        Assert.Equal(0, shed.Values()["port_3_status"]);
        Assert.Equal(2, shed.Values()["port_3_stop_reason"]); // unplugged
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsync("/devices/shed/ports/3/unplug", null, Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/devices/shed/ports/99/plug", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/devices/lift/ports/1/plug", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task ControlApi_BadRequests_AnswerProblemDetails()
    {
        await using var host = await CommunityHost.StartAsync(Community(elevators: 1, sheds: 1, boilersOnSerial: 1), TimeProvider.System, NullLogger.Instance, Ct);
        await using var app = await StartControlApiAsync(host);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var unknownDevice = await http.PostAsync("/devices/nope/faults/smoke", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknownDevice.StatusCode);
        Assert.Equal("application/problem+json", unknownDevice.Content.Headers.ContentType?.MediaType);

        var unknownFault = await http.PostAsync("/devices/lift/faults/smoke", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, unknownFault.StatusCode);
        var problem = await unknownFault.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains("trapped-at-floor", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var portFault = await http.PostAsync("/devices/shed/faults/port-overcurrent?port=2", null, Ct);
        Assert.Equal(HttpStatusCode.OK, portFault.StatusCode);
        Assert.Equal(3, host.Find("shed")!.Values()["port_2_status"]);
    }

    [Fact]
    public async Task LineTiming_SerialLine_IsNoFasterThanCopper()
    {
        var file = Community(elevators: 1, sheds: 1, boilersOnSerial: 2);
        file.Buses[2].BaudRate = 9600;
        file.Buses[2].LineTiming = true;
        await using var host = await CommunityHost.StartAsync(file, TimeProvider.System, NullLogger.Instance, Ct);
        await using var line = SerialLine.CreateMaster(new SerialLineOptions { PortName = host.Buses.Single(b => b.Id == "line").Endpoint, BaudRate = 9600 });
        await line.ReadHoldingRegistersAsync(1, 0, 10, Ct);
        var timer = Stopwatch.StartNew();
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await line.ReadHoldingRegistersAsync((byte)(1 + (i % 2)), 0, 10, Ct)).IsSuccess);
        }

        // Request 8 bytes + response 25 bytes at 11 bits a character: 37.8 ms a read on real copper at 9600 baud.
        var copper = TimeSpan.FromSeconds(10 * 33 * 11 / 9600.0);
        Assert.True(timer.Elapsed >= copper, $"10 reads took {timer.Elapsed.TotalMilliseconds:0} ms, copper needs {copper.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Cli_InjectAndClear_ReachTheControlApi()
    {
        await using var host = await CommunityHost.StartAsync(Community(elevators: 1, sheds: 1, boilersOnSerial: 1), TimeProvider.System, NullLogger.Instance, Ct);
        await using var app = await StartControlApiAsync(host);
        var api = app.Urls.First();

        var (code, output) = await RunCliAsync("inject", "shed", "port-over-temperature", "--port", "1", "--api", api);
        Assert.Equal(0, code);
        Assert.Contains("port-over-temperature:1", output, StringComparison.Ordinal);
        Assert.Equal(2, host.Find("shed")!.Values()["port_1_fault_code"]);

        (code, output) = await RunCliAsync("inject", "shed", "meteor-strike", "--api", api);
        Assert.Equal(1, code);
        Assert.Contains("Unknown fault", output, StringComparison.Ordinal);

        (code, _) = await RunCliAsync("clear", "shed", "port-over-temperature", "--port", "1", "--api", api);
        Assert.Equal(0, code);
        Assert.Equal(0, host.Find("shed")!.Values()["port_1_fault_code"]);
    }

    private static async Task<(int Code, string Output)> RunCliAsync(params string[] arguments)
    {
        var run = await ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "facilities-sim.dll"), .. arguments], TimeSpan.FromMinutes(2), Ct);
        return (run.ExitCode, run.Stdout + run.Stderr);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

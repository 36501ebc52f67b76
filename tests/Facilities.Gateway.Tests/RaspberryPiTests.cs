using System.Collections.Concurrent;
using System.Text.Json;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Simulation;
using Facilities.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;

namespace Facilities.Gateway.Tests;

/// <summary>
/// The gateway published for the Raspberry Pi as it is deployed (linux-arm64, Native AOT, cross-compiled) runs under qemu-user against a simulated
/// device and a real Mosquitto, and its readings arrive.
/// </summary>
public sealed class RaspberryPiTests : IDisposable
{
    private const string Qemu = "/usr/bin/qemu-aarch64-static";
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-arm64-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PublishedArm64Gateway_UnderQemu_DeliversReadings()
    {
        Assert.True(File.Exists(Qemu), $"{Qemu} not found: apt-get install qemu-user-static, and libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 zlib1g:arm64 after dpkg --add-architecture arm64");
        var output = Path.Combine(_directory, "publish");
        var (code, log) = await RunAsync("dotnet", ["publish", Path.Combine(Root(), "gateway", "Facilities.Gateway"), "-c", "Release", "-r", "linux-arm64",
            "-o", output, "--nologo"], TimeSpan.FromMinutes(10));
        Assert.True(code == 0, $"dotnet publish (Native AOT for linux-arm64; needs clang, lld, libc6-dev:arm64 and zlib1g-dev:arm64) failed:\n{log}");
        Assert.False(File.Exists(Path.Combine(output, "facilities-gateway.dll")), "the publish is not Native AOT: a facilities-gateway.dll was published");

        var community = new CommunityFile
        {
            Sites = [new SiteEntry { Id = "s", Buildings = [new BuildingEntry { Id = "b" }] }],
            Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
            Devices = [new DeviceEntry { Id = "aed", Kind = "aed-cabinet", Site = "s", Building = "b", Bus = "tcp", Unit = 1 }],
        };
        await using var simulator = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct);
        var endpoint = simulator.Buses[0].Endpoint.Split(':');
        var site = Path.Combine(_directory, "site.json");
        await File.WriteAllTextAsync(site, JsonSerializer.Serialize(new
        {
            site = "estate-pi",
            gateway = "gw-pi",
            buses = new[] { new { id = "tcp", type = "tcp", host = endpoint[0], port = int.Parse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture) } },
            devices = new[] { new { id = "aed-1", bus = "tcp", unit = 1, profile = "facilities-sim-aed-cabinet", pollInterval = "00:00:01" } },
        }), Ct);
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        var received = new ConcurrentQueue<JsonElement>();
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            received.Enqueue(JsonDocument.Parse(e.ApplicationMessage.Payload).RootElement.Clone());
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).Build(), Ct);
        await subscriber.SubscribeAsync(Topics.Telemetry("estate-pi", "gw-pi", "aed-1"), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, Ct);

        await using var gateway = ChildProcess.Start("facilities-gateway (arm64, qemu)", Qemu,
        [
            "-L", "/", Path.Combine(output, "facilities-gateway"), "--site", site, "--data", Path.Combine(_directory, "data"),
            "--Mqtt:Port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Gateway:MetricsPort", "0",
        ], new ChildProcessOptions { StopGrace = TimeSpan.Zero });
        await Eventually.HoldsWithinAsync(() => !received.IsEmpty || gateway.HasExited, TimeSpan.FromSeconds(90), Ct, TimeSpan.FromMilliseconds(200));
        Assert.False(received.IsEmpty, $"no telemetry from the arm64 gateway; its output:\n{string.Join('\n', gateway.Output)}");
        var reading = received.First();
        Assert.Equal(simulator.Find("aed")!.Values()["battery"], reading.GetProperty("values").GetProperty("battery").GetDouble());
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] arguments, TimeSpan timeout)
    {
        var run = await ChildProcess.RunAsync(file, arguments, timeout, Ct);
        return (run.ExitCode, run.Stdout + run.Stderr);
    }

    private static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Facilities.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Facilities.sln not found above the test directory.");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Simulation;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Serial;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.FirmwareSim.Tests;

/// <summary>The pty the simulator makes with libc alone, so a serial bus needs no socat.</summary>
public sealed class LibcPtyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fsim-pty-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LibcPty_EveryByteValue_CrossesUnchangedBothWays()
    {
        var link = Path.Combine(_directory, "line");
        await using var pty = LibcPty.Open(link);
        Assert.StartsWith("/dev/pts/", pty.SlavePath, StringComparison.Ordinal);
        Assert.Equal(pty.SlavePath, File.ResolveLinkTarget(link, returnFinalTarget: false)!.FullName);

        // Bytes a line discipline would change or swallow (CR, LF, XON/XOFF, DEL, ^C, ^D) must pass as they are.
        var all = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        await using var device = SerialLine.Open(new SerialLineOptions { PortName = link, BaudRate = 9600 });
        await device.WriteAsync(all, Ct);
        Assert.Equal(all, await ReadExactlyAsync(pty, all.Length));

        var reversed = all.Reverse().ToArray();
        await pty.WriteAsync(reversed, Ct);
        Assert.Equal(reversed, await ReadExactlyAsync(device, reversed.Length));
    }

    [Fact]
    public async Task SerialBus_OnALibcPty_AnswersAMasterAfterItReopensAndRemovesItsLinkOnStop()
    {
        var link = Path.Combine(_directory, "aed-line");
        var community = new CommunityFile
        {
            Name = "pty",
            Sites = [new SiteEntry { Id = "s", Buildings = [new BuildingEntry { Id = "b" }] }],
            Buses = [new BusEntry { Id = "line", Type = "serial", Link = link, BaudRate = 9600, Pty = "libc" }],
            Devices = [new DeviceEntry { Id = "aed", Kind = "aed-cabinet", Site = "s", Building = "b", Bus = "line", Unit = 3, Count = 2 }],
        };
        await using (var host = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct))
        {
            Assert.Equal(link, host.Buses.Single().Endpoint);
            for (var opening = 0; opening < 2; opening++)
            {
                if (opening > 0)
                {
                    // The simulator notices the line was closed within its 100 ms poll, and only then resets it.
                    await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
                }

                // A master that closes its port and opens it again (a gateway restarting) finds the line working, also
                // with even parity, which a pty does not keep and System.IO.Ports then checks for on the next opening.
                await using var master = SerialLine.CreateMaster(new SerialLineOptions { PortName = link, BaudRate = 9600 }, TimeSpan.FromSeconds(2));
                foreach (var unit in new byte[] { 3, 4 })
                {
                    var registers = new ushort[4];
                    Assert.True((await master.ReadInputRegistersAsync(unit, 0, registers, Ct)).IsSuccess, $"unit {unit}");
                }

                await Assert.ThrowsAsync<ModbusTimeoutException>(async () => await master.ReadInputRegistersAsync(9, 0, new ushort[1], Ct));
            }
        }

        Assert.False(File.Exists(link) || Directory.Exists(link), "the link outlived the simulator");
    }

    [Fact]
    public async Task SerialBus_OnASocatPair_StillAnswers()
    {
        var link = Path.Combine(_directory, "socat-line");
        var community = new CommunityFile
        {
            Name = "socat",
            Sites = [new SiteEntry { Id = "s", Buildings = [new BuildingEntry { Id = "b" }] }],
            Buses = [new BusEntry { Id = "line", Type = "serial", Link = link, BaudRate = 9600, Pty = "socat" }],
            Devices = [new DeviceEntry { Id = "aed", Kind = "aed-cabinet", Site = "s", Building = "b", Bus = "line", Unit = 1 }],
        };
        await using var host = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct);
        await using var master = SerialLine.CreateMaster(new SerialLineOptions { PortName = link, BaudRate = 9600 }, TimeSpan.FromSeconds(2));
        Assert.True((await master.ReadInputRegistersAsync(1, 0, new ushort[4], Ct)).IsSuccess);
    }

    [Fact]
    public void Loader_UnknownPty_IsRefusedNamingTheField()
    {
        var path = Path.Combine(_directory, "c.json");
        File.WriteAllText(path, """
            { "name": "x", "sites": [{ "id": "s", "buildings": [{ "id": "b" }] }],
              "buses": [{ "id": "line", "type": "serial", "link": "/tmp/x", "pty": "openpty" }],
              "devices": [{ "id": "a", "kind": "aed-cabinet", "site": "s", "building": "b", "bus": "line", "unit": 1 }] }
            """);
        var error = Assert.Throws<CommunityFileException>(() => CommunityLoader.Load(path));
        Assert.Contains("$.buses[0].pty: 'openpty' is not libc or socat", error.Message, StringComparison.Ordinal);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

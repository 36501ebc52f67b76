using System.Globalization;
using System.Text.RegularExpressions;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Maps;
using Facilities.FirmwareSim.Simulation;
using Facilities.Modbus.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.FirmwareSim.Tests;

/// <summary>
/// Every documented register of every kind, read by libmodbus (mbpoll) — an implementation that shares nothing with
/// ours — and decoded as the register-map docs say, equals what the simulator holds.
/// </summary>
public sealed partial class IndependentReaderTests
{
    private const string Mbpoll = "/usr/bin/mbpoll";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Kinds() => ["elevator", "boiler", "charger-shed", "aed-cabinet"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task EveryDocumentedRegister_ReadByMbpoll_MatchesTheSimulator(string kind)
    {
        Assert.True(File.Exists(Mbpoll), $"{Mbpoll} not found: apt-get install mbpoll (the independent reader)");
        var community = new CommunityFile
        {
            Speed = 0,
            Sites = [new SiteEntry { Id = "s", Buildings = [new BuildingEntry { Id = "b" }] }],
            Buses = [new BusEntry { Id = "tcp", Type = "tcp", Port = 0 }],
            Devices = [new DeviceEntry { Id = "d", Kind = kind, Site = "s", Building = "b", Bus = "tcp", Unit = 7 }],
        };
        await using var host = await CommunityHost.StartAsync(community, TimeProvider.System, NullLogger.Instance, Ct);
        var device = host.Find("d")!;
        // A fault makes the registers interesting (bits set, codes non-zero) and is part of what is documented.
        device.Inject(device.EquipmentFaults[0].Name.StartsWith("port-", StringComparison.Ordinal) ? device.EquipmentFaults[0].Name + ":1" : device.EquipmentFaults[0].Name, host.Clock.Now);
        var expected = device.Values();
        var port = host.Buses[0].Endpoint.Split(':')[1];

        var checkedPoints = 0;
        foreach (var run in Runs(device.Map.Points))
        {
            var words = await ReadAsync(port, run.Table, run.Start, run.Count);
            foreach (var point in run.Points)
            {
                var value = RegisterMap.Decode(point, words.AsSpan(point.Address - run.Start));
                Assert.True(Math.Abs(value - expected[point.Name]) < 1e-3, $"{point.Name} at {point.Table} {point.Address}: mbpoll read {value}, simulator holds {expected[point.Name]}");
                checkedPoints++;
            }
        }

        Assert.Equal(device.Map.Points.Count, checkedPoints);
    }

    /// <summary>Contiguous runs of documented addresses per table (the simulator declares only those).</summary>
    private static IEnumerable<(RegisterTable Table, int Start, int Count, List<RegisterPoint> Points)> Runs(IEnumerable<RegisterPoint> points)
    {
        foreach (var table in points.GroupBy(p => p.Table))
        {
            var sorted = table.OrderBy(p => p.Address).ToList();
            var run = new List<RegisterPoint>();
            int start = 0, end = 0;
            foreach (var point in sorted)
            {
                if (run.Count > 0 && (point.Address > end || point.Address + point.RegisterCount - start > 100))
                {
                    yield return (table.Key, start, end - start, run);
                    run = [];
                }

                if (run.Count == 0)
                {
                    start = point.Address;
                    end = point.Address;
                }

                run.Add(point);
                end = Math.Max(end, point.Address + point.RegisterCount);
            }

            yield return (table.Key, start, end - start, run);
        }
    }

    private static async Task<ushort[]> ReadAsync(string port, RegisterTable table, int start, int count)
    {
        var type = table switch { RegisterTable.Coils => "0", RegisterTable.DiscreteInputs => "1", RegisterTable.InputRegisters => "3", _ => "4" };
        var run = await ChildProcess.RunAsync(Mbpoll,
            ["-m", "tcp", "-p", port, "-a", "7", "-t", type, "-0", "-r", start.ToString(CultureInfo.InvariantCulture),
             "-c", count.ToString(CultureInfo.InvariantCulture), "-1", "-o", "2", "127.0.0.1"],
            TimeSpan.FromMinutes(1), Ct);
        var (output, errors) = (run.Stdout, run.Stderr);
        var words = new ushort[count];
        var seen = 0;
        foreach (Match line in ValueLine().Matches(output))
        {
            var address = int.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture);
            words[address - start] = ushort.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture);
            seen++;
        }

        Assert.True(seen == count, $"mbpoll returned {seen} of {count} values for {table} {start}:\n{output}\n{errors}");
        return words;
    }

    [GeneratedRegex(@"^\[(\d+)\]:\s+(\d+)", RegexOptions.Multiline)]
    private static partial Regex ValueLine();
}

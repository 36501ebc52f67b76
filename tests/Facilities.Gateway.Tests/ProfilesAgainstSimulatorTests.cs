using System.Net;
using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Devices.AedCabinet;
using Facilities.FirmwareSim.Devices.Boiler;
using Facilities.FirmwareSim.Devices.ChargerShed;
using Facilities.FirmwareSim.Devices.Elevator;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Profiles;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.Gateway.Tests;

/// <summary>The shipped profiles read the simulators over real Modbus and get the simulators' own values, word order included.</summary>
public sealed class ProfilesAgainstSimulatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 11, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Profiles() => ["facilities-sim-elevator", "facilities-sim-boiler", "facilities-sim-charger-shed-12", "facilities-sim-aed-cabinet"];

    private static DeviceModel Device(string kind)
    {
        var identity = new DeviceIdentity("d", "d", "s", "b", "bus", 1);
        return kind switch
        {
            "elevator" => new ElevatorModel(identity, new ElevatorOptions(), Now),
            "boiler" => new BoilerModel(identity, new BoilerOptions(), Now),
            "charger-shed" => new ChargerShedModel(identity, new ChargerShedOptions { Ports = 12 }, Now),
            _ => new AedCabinetModel(identity, new AedCabinetOptions(), Now),
        };
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Profile_ReadOverModbus_EqualsSimulatorValues(string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var profile = ProfileLoader.Load(Path.Combine(AppContext.BaseDirectory, "profiles", name + ".json"));
        var device = Device(profile.Kind);
        device.Inject(profile.Kind == "elevator" ? "trapped-between-floors" : profile.Kind == "boiler" ? "over-pressure" : profile.Kind == "aed-cabinet" ? "aed-removed" : "port-overcurrent:2", Now);
        var slave = new ModbusSlave();
        slave.Add(device.Unit);
        await using var server = ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = server.LocalEndpoint.Port });

        var expected = device.Values();
        var plan = new DeviceReadPlan(profile);
        var decoded = 0;
        var pending = new Queue<ReadBlock>(plan.Blocks);
        while (pending.TryDequeue(out var block))
        {
            var raw = await ReadAsync(master, block, ct);
            if (raw is null)
            {
                // The merged read spans a hole in the device's map: the plan splits it and keeps the split.
                foreach (var part in plan.Refused(block))
                {
                    pending.Enqueue(part);
                }

                continue;
            }

            foreach (var point in block.Points)
            {
                var value = PointDecoder.Decode(point, raw.AsSpan(point.Address - block.Start));
                Assert.True(Math.Abs(expected[point.Name] - value.Number) < 1e-3, $"{point.Name}: simulator {expected[point.Name]}, profile {value.Number}");
                decoded++;
            }
        }

        Assert.Equal(expected.Count, decoded);
        Assert.Empty(plan.Unavailable);
        Assert.True(plan.Blocks.Count < profile.Points.Count / 2, $"{plan.Blocks.Count} reads for {profile.Points.Count} points");
    }

    /// <summary>The block's raw words (bits as 0/1), or null if the device answered "illegal data address".</summary>
    private static async Task<ushort[]?> ReadAsync(ModbusMaster master, ReadBlock block, CancellationToken ct)
    {
        var count = (ushort)block.Count;
        static ushort[] Words(bool[] bits) => [.. bits.Select(b => b ? (ushort)1 : (ushort)0)];
        ModbusExceptionCode code;
        switch (block.Table)
        {
            case RegisterTable.Coils:
                var coils = await master.ReadCoilsAsync(1, block.Start, count, ct);
                (code, var c) = (coils.ExceptionCode, coils.IsSuccess ? Words(coils.Value) : null);
                return code == ModbusExceptionCode.IllegalDataAddress ? null : c ?? throw new ModbusDeviceException(code);
            case RegisterTable.DiscreteInputs:
                var inputs = await master.ReadDiscreteInputsAsync(1, block.Start, count, ct);
                (code, var d) = (inputs.ExceptionCode, inputs.IsSuccess ? Words(inputs.Value) : null);
                return code == ModbusExceptionCode.IllegalDataAddress ? null : d ?? throw new ModbusDeviceException(code);
            default:
                var registers = block.Table == RegisterTable.InputRegisters
                    ? await master.ReadInputRegistersAsync(1, block.Start, count, ct)
                    : await master.ReadHoldingRegistersAsync(1, block.Start, count, ct);
                return registers.ExceptionCode == ModbusExceptionCode.IllegalDataAddress ? null : registers.Value;
        }
    }

    [Fact]
    public async Task MergedReadOverAHole_IsRefused_SplitReadsSucceed()
    {
        var ct = TestContext.Current.CancellationToken;
        // A device with registers 0..3 and 8..9 but nothing at 4..7.
        var store = new RegisterStore().Declare(RegisterTable.HoldingRegisters, 0, 4).Declare(RegisterTable.HoldingRegisters, 8, 2);
        store.Set(RegisterTable.HoldingRegisters, 0, 10, 11, 12, 13);
        store.Set(RegisterTable.HoldingRegisters, 8, 18, 19);
        var slave = new ModbusSlave();
        slave.Add(1, store);
        await using var server = ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = server.LocalEndpoint.Port });
        PointSpec P(int a) => new() { Name = $"r{a}", Table = RegisterTable.HoldingRegisters, Address = (ushort)a, Type = PointType.UInt16, Count = 1 };

        var merged = Assert.Single(ReadPlanner.Plan([P(0), P(3), P(8), P(9)], maxGap: 8, maxRegisters: 125));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, (await master.ReadHoldingRegistersAsync(1, merged.Start, (ushort)merged.Count, ct)).ExceptionCode);

        var values = new Dictionary<string, double>();
        foreach (var block in ReadPlanner.Split(merged, 125))
        {
            var raw = (await master.ReadHoldingRegistersAsync(1, block.Start, (ushort)block.Count, ct)).Value;
            foreach (var point in block.Points)
            {
                values[point.Name] = PointDecoder.Decode(point, raw.AsSpan(point.Address - block.Start)).Number;
            }
        }

        Assert.Equal(new Dictionary<string, double> { ["r0"] = 10, ["r3"] = 13, ["r8"] = 18, ["r9"] = 19 }, values);
    }
}

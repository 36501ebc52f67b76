using System.Net;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.Modbus.Benchmarks;

/// <summary>
/// Our slave in a process of its own, the counterpart of libmodbus/bench_server.c: the same 100 holding registers
/// holding their own address, the same announcement line, and a lifetime after which it stops by itself.
/// </summary>
internal static class SlaveProcess
{
    public const int Registers = 100;

    public static async Task RunAsync(TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var store = new RegisterStore().Declare(RegisterTable.HoldingRegisters, 0, Registers);
        for (ushort address = 0; address < Registers; address++)
        {
            store.Set(RegisterTable.HoldingRegisters, address, address);
        }

        var slave = new ModbusSlave();
        slave.Add(1, store);
        await using var server = ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        Console.WriteLine($"listening on port {server.LocalEndpoint.Port}");
        try
        {
            await Task.Delay(lifetime, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopped on purpose; the parent usually kills the process instead.
        }
    }
}

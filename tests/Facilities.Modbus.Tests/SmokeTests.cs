using System.Net;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.Modbus.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task TcpMaster_ReadsRegistersFromOwnSlave()
    {
        var store = new RegisterStore().Declare(RegisterTable.HoldingRegisters, 0, 10);
        store.Set(RegisterTable.HoldingRegisters, 2, 42, 43);
        var slave = new ModbusSlave();
        slave.Add(1, store);
        await using var server = ModbusSlaveServer.StartTcp(slave, new IPEndPoint(IPAddress.Loopback, 0));
        await using var master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = server.LocalEndpoint.Port });
        var result = await master.ReadHoldingRegistersAsync(1, 0, 4, TestContext.Current.CancellationToken);
        Assert.Equal(new ushort[] { 0, 0, 42, 43 }, result.Value);
    }
}

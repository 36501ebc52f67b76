using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.Modbus.Tests.Slaves;

public sealed class RegisterStoreTests
{
    [Fact]
    public void Declare_OverlappingBlock_Throws()
    {
        var store = new RegisterStore().Declare(RegisterTable.HoldingRegisters, 10, 10);
        Assert.Throws<ArgumentException>(() => store.Declare(RegisterTable.HoldingRegisters, 15, 10));
    }

    [Fact]
    public void Set_UndeclaredAddress_ThrowsNamingTheAddress()
    {
        var store = new RegisterStore().Declare(RegisterTable.InputRegisters, 0, 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => store.Set(RegisterTable.InputRegisters, 5, 1));
        Assert.Contains("InputRegisters address 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrittenByMaster_FiresAfterMasterWriteOnly()
    {
        var store = new RegisterStore().Declare(RegisterTable.HoldingRegisters, 0, 4);
        var seen = new List<(RegisterTable, ushort, int)>();
        store.WrittenByMaster += (t, a, c) => seen.Add((t, a, c));
        store.Set(RegisterTable.HoldingRegisters, 0, 1);
        store.WriteHoldingRegisters(1, [5, 6]);
        Assert.Equal([(RegisterTable.HoldingRegisters, (ushort)1, 2)], seen);
    }

    [Fact]
    public async Task Update_ThirtyTwoBitPair_IsNeverReadTorn()
    {
        var store = new RegisterStore().Declare(RegisterTable.HoldingRegisters, 0, 2);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var writer = Task.Run(() =>
        {
            for (uint i = 0; !stop.IsCancellationRequested; i++)
            {
                // Both halves always hold the same value: a torn read shows two different halves.
                var half = (ushort)(i & 0xFFFF);
                store.Update(s => s.Set(RegisterTable.HoldingRegisters, 0, half, half));
            }
        }, TestContext.Current.CancellationToken);
        var torn = 0;
        var reads = 0;
        Span<ushort> pair = stackalloc ushort[2];
        while (!stop.IsCancellationRequested)
        {
            store.ReadRegisters(RegisterTable.HoldingRegisters, 0, pair);
            reads++;
            if (pair[0] != pair[1])
            {
                torn++;
            }
        }

        await writer;
        Assert.True(reads > 1000, $"only {reads} reads");
        Assert.Equal(0, torn);
    }
}

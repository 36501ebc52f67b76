using Facilities.Modbus.Protocol;
using Facilities.Modbus.Protocol.Functions;

namespace Facilities.Modbus.Slave;

/// <summary>
/// A device's four data tables as declared blocks of addresses. Reads and writes that touch an undeclared address
/// fail with "illegal data address", as on devices with holes in their maps. Every access is atomic under one lock,
/// so a device model updating a 32-bit value across two registers is never read half-written.
/// </summary>
public sealed class RegisterStore : IRegisterAccess
{
    private readonly Lock _gate = new();
    private readonly List<Block>[] _tables = [[], [], [], []];

    /// <summary>Called, under the store's lock, before a master's write is applied; a non-None result refuses it.</summary>
    public WriteValidator? ValidateWrite { get; set; }

    /// <summary>Raised after a master's write was applied (outside the lock): table, first address, count.</summary>
    public event Action<RegisterTable, ushort, int>? WrittenByMaster;

    /// <summary>Declares <paramref name="count"/> addresses from <paramref name="start"/> in <paramref name="table"/>, initially zero.</summary>
    public RegisterStore Declare(RegisterTable table, ushort start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (start + count > 0x10000)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{table} block {start}+{count} runs past address 65535.");
        }

        lock (_gate)
        {
            var blocks = _tables[(int)table];
            if (blocks.Any(b => start < b.Start + b.Values.Length && b.Start < start + count))
            {
                throw new ArgumentException($"{table} block {start}..{start + count - 1} overlaps a declared block.", nameof(start));
            }

            blocks.Add(new Block(start, new ushort[count]));
            blocks.Sort((a, b) => a.Start.CompareTo(b.Start));
        }

        return this;
    }

    public ushort Get(RegisterTable table, ushort address)
    {
        Span<ushort> value = stackalloc ushort[1];
        ThrowIfIllegal(Read(table, address, value), table, address);
        return value[0];
    }

    public bool GetBit(RegisterTable table, ushort address) => Get(table, address) != 0;

    /// <summary>Sets values from the device's side: any table, no validation hook, no notification.</summary>
    public void Set(RegisterTable table, ushort address, params ReadOnlySpan<ushort> values)
    {
        lock (_gate)
        {
            ThrowIfIllegal(Apply(table, address, values), table, address);
        }
    }

    public void SetBit(RegisterTable table, ushort address, bool value) => Set(table, address, value ? (ushort)1 : (ushort)0);

    /// <summary>Runs several device-side changes as one atomic step.</summary>
    public void Update(Action<RegisterStore> change)
    {
        lock (_gate)
        {
            change(this);
        }
    }

    public ModbusExceptionCode ReadBits(RegisterTable table, ushort address, Span<bool> destination)
    {
        Span<ushort> words = destination.Length <= 2000 ? stackalloc ushort[destination.Length] : new ushort[destination.Length];
        var code = Read(table, address, words);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = words[i] != 0;
        }

        return code;
    }

    public ModbusExceptionCode ReadRegisters(RegisterTable table, ushort address, Span<ushort> destination) => Read(table, address, destination);

    public ModbusExceptionCode WriteCoils(ushort address, ReadOnlySpan<bool> values)
    {
        Span<ushort> words = values.Length <= 2000 ? stackalloc ushort[values.Length] : new ushort[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            words[i] = values[i] ? (ushort)1 : (ushort)0;
        }

        return WriteByMaster(RegisterTable.Coils, address, words);
    }

    public ModbusExceptionCode WriteHoldingRegisters(ushort address, ReadOnlySpan<ushort> values) =>
        WriteByMaster(RegisterTable.HoldingRegisters, address, values);

    public ModbusExceptionCode WriteThenReadHoldingRegisters(ushort writeAddress, ReadOnlySpan<ushort> values, ushort readAddress, Span<ushort> destination)
    {
        ModbusExceptionCode code;
        lock (_gate)
        {
            if (Find(RegisterTable.HoldingRegisters, readAddress, destination.Length) is null)
            {
                return ModbusExceptionCode.IllegalDataAddress;
            }

            code = WriteLocked(RegisterTable.HoldingRegisters, writeAddress, values);
            if (code == ModbusExceptionCode.None)
            {
                code = ReadLocked(RegisterTable.HoldingRegisters, readAddress, destination);
            }
        }

        if (code == ModbusExceptionCode.None)
        {
            WrittenByMaster?.Invoke(RegisterTable.HoldingRegisters, writeAddress, values.Length);
        }

        return code;
    }

    private ModbusExceptionCode WriteByMaster(RegisterTable table, ushort address, ReadOnlySpan<ushort> values)
    {
        ModbusExceptionCode code;
        lock (_gate)
        {
            code = WriteLocked(table, address, values);
        }

        if (code == ModbusExceptionCode.None)
        {
            WrittenByMaster?.Invoke(table, address, values.Length);
        }

        return code;
    }

    private ModbusExceptionCode WriteLocked(RegisterTable table, ushort address, ReadOnlySpan<ushort> values)
    {
        if (Find(table, address, values.Length) is null)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        var verdict = ValidateWrite?.Invoke(table, address, values) ?? ModbusExceptionCode.None;
        return verdict != ModbusExceptionCode.None ? verdict : Apply(table, address, values);
    }

    private ModbusExceptionCode Read(RegisterTable table, ushort address, Span<ushort> destination)
    {
        lock (_gate)
        {
            return ReadLocked(table, address, destination);
        }
    }

    private ModbusExceptionCode ReadLocked(RegisterTable table, ushort address, Span<ushort> destination)
    {
        if (Find(table, address, destination.Length) is not { } block)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        block.Values.AsSpan(address - block.Start, destination.Length).CopyTo(destination);
        return ModbusExceptionCode.None;
    }

    private ModbusExceptionCode Apply(RegisterTable table, ushort address, ReadOnlySpan<ushort> values)
    {
        if (Find(table, address, values.Length) is not { } block)
        {
            return ModbusExceptionCode.IllegalDataAddress;
        }

        var target = block.Values.AsSpan(address - block.Start, values.Length);
        if (table.IsBits())
        {
            for (var i = 0; i < values.Length; i++)
            {
                target[i] = values[i] != 0 ? (ushort)1 : (ushort)0;
            }
        }
        else
        {
            values.CopyTo(target);
        }

        return ModbusExceptionCode.None;
    }

    /// <summary>The block holding all of [address, address + count), or null if any address is undeclared.</summary>
    private Block? Find(RegisterTable table, ushort address, int count)
    {
        foreach (var block in _tables[(int)table])
        {
            if (address >= block.Start && address + count <= block.Start + block.Values.Length)
            {
                return block;
            }
        }

        return null;
    }

    private static void ThrowIfIllegal(ModbusExceptionCode code, RegisterTable table, ushort address)
    {
        if (code != ModbusExceptionCode.None)
        {
            throw new ArgumentOutOfRangeException(nameof(address), address, $"{table} address {address} is not declared in this store.");
        }
    }

    private sealed record Block(ushort Start, ushort[] Values);
}

/// <summary>Decides whether a master's write is accepted; return an exception code to refuse it.</summary>
public delegate ModbusExceptionCode WriteValidator(RegisterTable table, ushort address, ReadOnlySpan<ushort> values);

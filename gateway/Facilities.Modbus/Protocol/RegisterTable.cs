namespace Facilities.Modbus.Protocol;

/// <summary>The four Modbus data tables.</summary>
public enum RegisterTable
{
    Coils,
    DiscreteInputs,
    InputRegisters,
    HoldingRegisters,
}

public static class RegisterTableExtensions
{
    public static bool IsBits(this RegisterTable table) => table is RegisterTable.Coils or RegisterTable.DiscreteInputs;

    public static bool IsWritable(this RegisterTable table) => table is RegisterTable.Coils or RegisterTable.HoldingRegisters;
}

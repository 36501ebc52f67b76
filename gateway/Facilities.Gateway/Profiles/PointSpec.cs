using Facilities.Modbus.Protocol;

namespace Facilities.Gateway.Profiles;

/// <summary>The value types a profile point can have.</summary>
#pragma warning disable CA1720 // The members name the wire types on purpose.
public enum PointType
{
    Bool,
    Bit,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float32,
    Float64,
    String,
}
#pragma warning restore CA1720

/// <summary>A checked, typed profile point: everything the planner and the decoder need, nothing to re-parse.</summary>
public sealed record PointSpec
{
    public required string Name { get; init; }

    public required RegisterTable Table { get; init; }

    public required ushort Address { get; init; }

    public required PointType Type { get; init; }

    /// <summary>Registers (or bits, for coils and discrete inputs) the point occupies.</summary>
    public required int Count { get; init; }

    public int Bit { get; init; }

    /// <summary>Bytes inside each 16-bit word are swapped ("little" byte order).</summary>
    public bool ByteSwap { get; init; }

    /// <summary>Words arrive low word first ("little" word order).</summary>
    public bool WordSwap { get; init; }

    private readonly double _scale = 1;
    private readonly double _offset;

    /// <summary>value = raw × scale + offset.</summary>
    public double Scale
    {
        get => _scale;
        init
        {
            _scale = value;
            Decimals = ValuePrecision.DecimalsOf(_scale, _offset);
        }
    }

    public double Offset
    {
        get => _offset;
        init
        {
            _offset = value;
            Decimals = ValuePrecision.DecimalsOf(_scale, _offset);
        }
    }

    /// <summary>Decimal places the values of an integer point are rounded to, as its scale and offset imply (<see cref="ValuePrecision"/>).</summary>
    public int Decimals { get; private init; }

    public string Unit { get; init; } = "";

    public bool IsEvent { get; init; }

    public double Deadband { get; init; }

    public IReadOnlyDictionary<long, string>? Labels { get; init; }

    public bool Writable { get; init; }

    /// <summary>Poll this point on its own interval instead of the device's (null: the device's).</summary>
    public TimeSpan? Interval { get; init; }

    public int End => Address + Count;
}

/// <summary>A profile ready to poll with.</summary>
public sealed record CompiledProfile(
    string Name, string Kind, string Description, TimeSpan PollInterval, int Priority, TimeSpan Heartbeat,
    int MaxGap, int MaxRegistersPerRead, IReadOnlyList<PointSpec> Points);

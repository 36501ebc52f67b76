using System.Text.Json.Serialization;

namespace Facilities.Gateway.Profiles;

/// <summary>
/// How to read one device model: its points (where each value lives and how to decode it), which of them are events
/// and which telemetry, and how often to poll. One JSON file per model; any Modbus device can be described this way.
/// </summary>
public sealed class DeviceProfile
{
    /// <summary>The profile's name, as devices in the site file refer to it (usually the file name without .json).</summary>
    public string Name { get; set; } = "";

    /// <summary>The device kind the cloud's rules know ("elevator", "boiler", "charger-shed", "aed-cabinet", or any other).</summary>
    public string Kind { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>Default poll interval for devices of this model; a device in the site file may override it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Higher polls first when a bus is short of time (elevator status before AED climate).</summary>
    public int Priority { get; set; }

    /// <summary>Telemetry is re-sent at least this often even if unchanged, so silence means "offline", never "unchanged".</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Unused registers a merged read may span to join two points (0 = only adjacent points merge).</summary>
    public int MaxGap { get; set; } = 8;

    /// <summary>Largest read the device accepts (registers); many devices accept less than the protocol's 125.</summary>
    public int MaxRegistersPerRead { get; set; } = 125;

    public List<ProfilePoint> Points { get; set; } = [];
}

/// <summary>One value on the device.</summary>
public sealed class ProfilePoint
{
    public string Name { get; set; } = "";

    /// <summary>"coil", "discrete", "input" or "holding".</summary>
    public string Table { get; set; } = "";

    public int Address { get; set; } = -1;

    /// <summary>bool, bit, int16, uint16, int32, uint32, int64, uint64, float32, float64 or string.</summary>
    public string Type { get; set; } = "";

    /// <summary>For "bit": the bit number 0..15 in the register.</summary>
    public int? Bit { get; set; }

    /// <summary>For "string": registers it spans (2 characters each).</summary>
    public int? Length { get; set; }

    /// <summary>"big" (Modbus standard) or "little" (byte-swapped words).</summary>
    public string ByteOrder { get; set; } = "big";

    /// <summary>"big" (high word first) or "little" (low word first) for values over 16 bits.</summary>
    public string WordOrder { get; set; } = "big";

    /// <summary>value = raw × scale + offset.</summary>
    public double Scale { get; set; } = 1;

    public double Offset { get; set; }

    public string Unit { get; set; } = "";

    /// <summary>"telemetry" (published on change beyond the deadband and every heartbeat) or "event" (published at once on any change).</summary>
    public string Role { get; set; } = "telemetry";

    /// <summary>Smallest change of a telemetry value that is worth publishing, in engineering units.</summary>
    public double Deadband { get; set; }

    /// <summary>Labels of an enumeration by raw value.</summary>
    [JsonPropertyName("enum")]
    public Dictionary<string, string>? Labels { get; set; }

    /// <summary>Whether the cloud may write this point through a command.</summary>
    public bool Writable { get; set; }

    /// <summary>Poll this point more (or less) often than the device, e.g. an AED cabinet's door every 2 s.</summary>
    public TimeSpan? PollInterval { get; set; }
}

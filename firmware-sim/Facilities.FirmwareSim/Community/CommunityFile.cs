using System.Text.Json;
using System.Text.Json.Serialization;

namespace Facilities.FirmwareSim.Community;

/// <summary>A simulated community: its sites and buildings, the buses the devices hang on, and the devices.</summary>
public sealed record CommunityFile
{
    public string Name { get; set; } = "community";

    /// <summary>Simulated seconds per real second; 0 freezes the equipment (values stay put).</summary>
    public double Speed { get; set; } = 1;

    /// <summary>Address the Modbus endpoints listen on.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    public List<SiteEntry> Sites { get; set; } = [];

    public List<BusEntry> Buses { get; set; } = [];

    public List<DeviceEntry> Devices { get; set; } = [];
}

public sealed record SiteEntry
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string TimeZone { get; set; } = "Asia/Shanghai";

    public List<BuildingEntry> Buildings { get; set; } = [];
}

public sealed record BuildingEntry
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";
}

/// <summary>A Modbus endpoint: a TCP port, an RTU-over-TCP port (a serial server), or a serial line on a pty pair.</summary>
public sealed record BusEntry
{
    public string Id { get; set; } = "";

    /// <summary>"tcp", "rtu-over-tcp" or "serial".</summary>
    public string Type { get; set; } = "";

    /// <summary>TCP port for tcp and rtu-over-tcp; 0 picks a free one (see the control API's /buses).</summary>
    public int Port { get; set; }

    /// <summary>For serial: the path a master opens (a symlink to the pty the simulator creates).</summary>
    public string? Link { get; set; }

    /// <summary>For serial: how the pty is made: "libc" (posix_openpt, nothing to install) or "socat" (a socat pair).</summary>
    public string Pty { get; set; } = "libc";

    public int BaudRate { get; set; } = 19200;

    /// <summary>"none", "even" or "odd".</summary>
    public string Parity { get; set; } = "even";

    /// <summary>For serial: hold every frame for its wire time at the baud rate, so the line is no faster than copper.</summary>
    public bool LineTiming { get; set; }
}

public sealed record DeviceEntry
{
    public string Id { get; set; } = "";

    /// <summary>"elevator", "boiler", "charger-shed" or "aed-cabinet".</summary>
    public string Kind { get; set; } = "";

    public string Name { get; set; } = "";

    public string Site { get; set; } = "";

    public string Building { get; set; } = "";

    public string Bus { get; set; } = "";

    public int Unit { get; set; }

    /// <summary>More than 1 makes that many devices: ids and names get "-1", "-2" …, unit ids count up from <see cref="Unit"/>.</summary>
    public int Count { get; set; } = 1;

    /// <summary>Kind-specific options (floors, ports, expiry …); see docs/firmware-sim.md.</summary>
    public JsonElement? Options { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(CommunityFile))]
internal sealed partial class CommunityJsonContext : JsonSerializerContext;

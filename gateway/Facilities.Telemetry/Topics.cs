namespace Facilities.Telemetry;

/// <summary>What a topic carries.</summary>
public enum TopicKind
{
    /// <summary>The gateway's own status; retained, and the gateway's last will says "offline".</summary>
    GatewayStatus,

    /// <summary>A device's readings: telemetry values on change and every heartbeat.</summary>
    Telemetry,

    /// <summary>A device's events: status changes and fault codes, published at once.</summary>
    Events,

    /// <summary>A device's link state (online/offline); retained.</summary>
    DeviceState,

    /// <summary>Cloud to gateway: a write to a device point.</summary>
    Command,

    /// <summary>Gateway to cloud: the outcome of a command.</summary>
    CommandResult,
}

/// <summary>A parsed topic: which site, gateway and (for device topics) device it names.</summary>
public sealed record TopicAddress(TopicKind Kind, string Site, string Gateway, string? Device = null);

/// <summary>
/// Topic names, built and parsed in one place: <c>facilities/v1/{site}/{gateway}/…</c>. Identifiers are lower-case
/// letters, digits, '-' and '_' so they can never smuggle MQTT wildcards or separators into a topic.
/// </summary>
public static class Topics
{
    public const string Root = "facilities/v1";

    public static string GatewayStatus(string site, string gateway) => $"{Root}/{Check(site)}/{Check(gateway)}/status";

    public static string Telemetry(string site, string gateway, string device) => Device(site, gateway, device, "telemetry");

    public static string Events(string site, string gateway, string device) => Device(site, gateway, device, "events");

    public static string DeviceState(string site, string gateway, string device) => Device(site, gateway, device, "state");

    public static string Commands(string site, string gateway) => $"{Root}/{Check(site)}/{Check(gateway)}/commands";

    public static string CommandResults(string site, string gateway) => $"{Root}/{Check(site)}/{Check(gateway)}/command-results";

    /// <summary>Everything one gateway publishes (for ACLs and subscriptions): <c>facilities/v1/{site}/{gateway}/#</c>.</summary>
    public static string GatewayFilter(string site, string gateway) => $"{Root}/{Check(site)}/{Check(gateway)}/#";

    /// <summary>Everything every gateway publishes, for the cloud's shared subscription.</summary>
    public const string AllFilter = Root + "/+/+/#";

    public static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && !id.AsSpan().ContainsAnyExcept(IdCharacters);

    /// <summary>What an identifier is made of: lower-case letters, digits, '-' and '_' (checked for every part of every topic).</summary>
    private static readonly System.Buffers.SearchValues<char> IdCharacters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>Parses a topic; null if it is not one of ours (the caller reports why it was dropped).</summary>
    public static TopicAddress? Parse(string topic)
    {
        var parts = topic.Split('/');
        if (parts.Length < 5 || parts[0] != "facilities" || parts[1] != "v1" || !IsValidId(parts[2]) || !IsValidId(parts[3]))
        {
            return null;
        }

        var (site, gateway) = (parts[2], parts[3]);
        return parts.Length switch
        {
            5 => parts[4] switch
            {
                "status" => new TopicAddress(TopicKind.GatewayStatus, site, gateway),
                "commands" => new TopicAddress(TopicKind.Command, site, gateway),
                "command-results" => new TopicAddress(TopicKind.CommandResult, site, gateway),
                _ => null,
            },
            7 when parts[4] == "devices" && IsValidId(parts[5]) => parts[6] switch
            {
                "telemetry" => new TopicAddress(TopicKind.Telemetry, site, gateway, parts[5]),
                "events" => new TopicAddress(TopicKind.Events, site, gateway, parts[5]),
                "state" => new TopicAddress(TopicKind.DeviceState, site, gateway, parts[5]),
                _ => null,
            },
            _ => null,
        };
    }

    private static string Device(string site, string gateway, string device, string leaf) =>
        $"{Root}/{Check(site)}/{Check(gateway)}/devices/{Check(device)}/{leaf}";

    private static string Check(string id) => IsValidId(id)
        ? id
        : throw new ArgumentException($"'{id}' is not a valid identifier: use 1-64 lower-case letters, digits, '-' or '_'.", nameof(id));
}

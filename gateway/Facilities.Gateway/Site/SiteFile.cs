using System.Globalization;
using System.Text.Json;
using Facilities.Gateway.Profiles;
using Facilities.Telemetry;

namespace Facilities.Gateway.Site;

/// <summary>The site file: who this gateway is, the buses it polls and the devices on them.</summary>
public sealed class SiteFile
{
    public string Site { get; set; } = "";

    public string Gateway { get; set; } = "";

    /// <summary>Directory of device profiles, relative to the site file; empty means the profiles shipped with the gateway.</summary>
    public string Profiles { get; set; } = "";

    public List<SiteBus> Buses { get; set; } = [];

    public List<SiteDevice> Devices { get; set; } = [];
}

public sealed class SiteBus
{
    public string Id { get; set; } = "";

    /// <summary>"tcp", "rtu-over-tcp" or "serial".</summary>
    public string Type { get; set; } = "";

    public string Host { get; set; } = "";

    /// <summary>TCP port (tcp, rtu-over-tcp) or the serial device path is in <see cref="Device"/>.</summary>
    public int Port { get; set; }

    /// <summary>Serial device, e.g. /dev/ttyUSB0.</summary>
    public string Device { get; set; } = "";

    public int BaudRate { get; set; } = 19200;

    public string Parity { get; set; } = "even";

    public int StopBits { get; set; } = 1;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Extra quiet time after each answer before the next request, for slow RS-485 transceivers.</summary>
    public TimeSpan Turnaround { get; set; }

    /// <summary>Modbus TCP only: requests in flight on the connection (devices polled concurrently).</summary>
    public int MaxRequestsInFlight { get; set; } = 1;
}

public sealed class SiteDevice
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string Building { get; set; } = "";

    public string Bus { get; set; } = "";

    public int Unit { get; set; }

    public string Profile { get; set; } = "";

    /// <summary>Overrides the profile's poll interval.</summary>
    public TimeSpan? PollInterval { get; set; }

    /// <summary>More than 1 makes that many devices: ids get "-1", "-2" …, unit ids count up from <see cref="Unit"/>.</summary>
    public int Count { get; set; } = 1;
}

/// <summary>A checked site: each device expanded and matched with its compiled profile.</summary>
public sealed record LoadedSite(SiteFile File, IReadOnlyList<(SiteDevice Entry, string Id, byte Unit, CompiledProfile Profile, TimeSpan Interval)> Devices);

/// <summary>Reads the site file and the profiles it uses; every problem is reported with file, JSON path and reason.</summary>
public static class SiteLoader
{
    public static LoadedSite Load(string path, string shippedProfiles)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationFileException($"{path}: cannot read: {e.Message}");
        }

        SiteFile? site;
        try
        {
            site = JsonSerializer.Deserialize(text, ConfigurationJson.Default.SiteFile);
        }
        catch (JsonException e)
        {
            throw new ConfigurationFileException($"{path}: {e.Path ?? "$"} (line {e.LineNumber + 1}): {ProfileLoader.FirstSentence(e.Message)}");
        }

        if (site is null)
        {
            throw new ConfigurationFileException($"{path}: $: the file is empty (null)");
        }

        var profileDirectory = string.IsNullOrWhiteSpace(site.Profiles)
            ? shippedProfiles
            : Path.GetFullPath(site.Profiles, Path.GetDirectoryName(Path.GetFullPath(path))!);
        var profiles = ProfileLoader.LoadDirectory(profileDirectory);
        var errors = new List<string>();
        var devices = Validate(site, profiles, errors);
        return errors.Count == 0
            ? new LoadedSite(site, devices)
            : throw new ConfigurationFileException(string.Join(Environment.NewLine, errors.Select(e => $"{path}: {e}")));
    }

    private static List<(SiteDevice, string, byte, CompiledProfile, TimeSpan)> Validate(SiteFile site, IReadOnlyDictionary<string, CompiledProfile> profiles, List<string> errors)
    {
        if (!Topics.IsValidId(site.Site))
        {
            errors.Add($"$.site: '{site.Site}' must be 1-64 lower-case letters, digits, '-' or '_'");
        }

        if (!Topics.IsValidId(site.Gateway))
        {
            errors.Add($"$.gateway: '{site.Gateway}' must be 1-64 lower-case letters, digits, '-' or '_'");
        }

        var buses = new Dictionary<string, SiteBus>(StringComparer.Ordinal);
        for (var i = 0; i < site.Buses.Count; i++)
        {
            var bus = site.Buses[i];
            var at = $"$.buses[{i}]";
            if (string.IsNullOrWhiteSpace(bus.Id) || !buses.TryAdd(bus.Id, bus))
            {
                errors.Add($"{at}.id: '{bus.Id}' is empty or used twice");
            }

            switch (bus.Type)
            {
                case "tcp" or "rtu-over-tcp":
                    if (string.IsNullOrWhiteSpace(bus.Host))
                    {
                        errors.Add($"{at}.host: required for a {bus.Type} bus");
                    }

                    if (bus.Port is < 1 or > 65535)
                    {
                        errors.Add($"{at}.port: {bus.Port} is not a TCP port");
                    }

                    break;
                case "serial":
                    if (string.IsNullOrWhiteSpace(bus.Device))
                    {
                        errors.Add($"{at}.device: a serial bus needs its device, e.g. /dev/ttyUSB0");
                    }

                    if (bus.BaudRate is < 1200 or > 921600)
                    {
                        errors.Add($"{at}.baudRate: {bus.BaudRate} is outside 1200..921600");
                    }

                    if (bus.Parity is not ("none" or "even" or "odd"))
                    {
                        errors.Add($"{at}.parity: '{bus.Parity}' is not none, even or odd");
                    }

                    if (bus.StopBits is not (1 or 2))
                    {
                        errors.Add($"{at}.stopBits: {bus.StopBits} is not 1 or 2");
                    }

                    break;
                default:
                    errors.Add($"{at}.type: '{bus.Type}' is not one of tcp, rtu-over-tcp, serial");
                    break;
            }

            if (bus.Timeout <= TimeSpan.Zero || bus.Timeout > TimeSpan.FromSeconds(30))
            {
                errors.Add($"{at}.timeout: {bus.Timeout} is outside (0, 30 s]");
            }

            if (bus.MaxRequestsInFlight is < 1 or > 64)
            {
                errors.Add($"{at}.maxRequestsInFlight: {bus.MaxRequestsInFlight} is outside 1..64");
            }
        }

        var devices = new List<(SiteDevice, string, byte, CompiledProfile, TimeSpan)>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var units = new HashSet<(string, int)>();
        for (var i = 0; i < site.Devices.Count; i++)
        {
            var device = site.Devices[i];
            var at = $"$.devices[{i}]";
            if (!buses.ContainsKey(device.Bus))
            {
                errors.Add($"{at}.bus: no bus '{device.Bus}'");
            }

            if (!profiles.TryGetValue(device.Profile, out var profile))
            {
                errors.Add($"{at}.profile: no profile '{device.Profile}' (known: {string.Join(", ", profiles.Keys.Order(StringComparer.Ordinal))})");
            }

            if (device.PollInterval is { } interval && interval < TimeSpan.FromMilliseconds(100))
            {
                errors.Add($"{at}.pollInterval: {interval} is shorter than 100 ms");
            }

            if (device.Count < 1)
            {
                errors.Add($"{at}.count: must be at least 1");
            }

            for (var k = 0; k < Math.Max(1, device.Count); k++)
            {
                var id = device.Count <= 1 ? device.Id : string.Create(CultureInfo.InvariantCulture, $"{device.Id}-{k + 1}");
                var unit = device.Unit + k;
                if (!Topics.IsValidId(id))
                {
                    errors.Add($"{at}.id: '{id}' must be 1-64 lower-case letters, digits, '-' or '_'");
                }
                else if (!ids.Add(id))
                {
                    errors.Add($"{at}.id: '{id}' is used twice");
                }

                if (unit is < 1 or > 247)
                {
                    errors.Add($"{at}.unit: unit id {unit} is outside 1..247");
                }
                else if (!units.Add((device.Bus, unit)))
                {
                    errors.Add($"{at}.unit: unit {unit} is already taken on bus '{device.Bus}'");
                }

                if (profile is not null && unit is >= 1 and <= 247)
                {
                    devices.Add((device, id, (byte)unit, profile, device.PollInterval ?? profile.PollInterval));
                }
            }
        }

        if (devices.Count == 0 && errors.Count == 0)
        {
            errors.Add("$.devices: the gateway has nothing to poll");
        }

        return devices;
    }
}

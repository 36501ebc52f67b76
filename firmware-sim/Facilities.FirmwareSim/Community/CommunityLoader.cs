using System.Text.Json;
using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Devices.AedCabinet;
using Facilities.FirmwareSim.Devices.Boiler;
using Facilities.FirmwareSim.Devices.ChargerShed;
using Facilities.FirmwareSim.Devices.Elevator;

namespace Facilities.FirmwareSim.Community;

/// <summary>A community file that cannot be used; the message names the file, the JSON path and what is wrong.</summary>
public sealed class CommunityFileException(string message) : Exception(message);

/// <summary>Reads and checks a community file, and expands it into device models.</summary>
public static class CommunityLoader
{
    public static readonly IReadOnlyList<string> Kinds = ["elevator", "boiler", "charger-shed", "aed-cabinet"];
    public static readonly IReadOnlyList<string> BusTypes = ["tcp", "rtu-over-tcp", "serial"];

    private static readonly JsonSerializerOptions OptionsJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static CommunityFile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommunityFileException($"{path}: cannot read: {e.Message}");
        }

        return Parse(text, path);
    }

    public static CommunityFile Parse(string json, string source)
    {
        CommunityFile? file;
        try
        {
            file = JsonSerializer.Deserialize(json, CommunityJsonContext.Default.CommunityFile);
        }
        catch (JsonException e)
        {
            throw new CommunityFileException($"{source}: {e.Path ?? "$"} (line {e.LineNumber + 1}): {FirstSentence(e.Message)}");
        }

        if (file is null)
        {
            throw new CommunityFileException($"{source}: $: the file is empty (null)");
        }

        var errors = Validate(file).Select(e => $"{source}: {e}").ToList();
        return errors.Count == 0 ? file : throw new CommunityFileException(string.Join(Environment.NewLine, errors));
    }

    /// <summary>Every problem in the file, each as "json-path: what is wrong".</summary>
    public static IEnumerable<string> Validate(CommunityFile file)
    {
        if (file.Speed < 0 || double.IsNaN(file.Speed))
        {
            yield return $"$.speed: must be 0 or more (got {file.Speed})";
        }

        var buildings = new HashSet<(string, string)>();
        for (var i = 0; i < file.Sites.Count; i++)
        {
            var site = file.Sites[i];
            if (string.IsNullOrWhiteSpace(site.Id))
            {
                yield return $"$.sites[{i}].id: required";
            }

            foreach (var (building, j) in site.Buildings.Select((b, j) => (b, j)))
            {
                if (!buildings.Add((site.Id, building.Id)))
                {
                    yield return $"$.sites[{i}].buildings[{j}].id: '{building.Id}' appears twice in site '{site.Id}'";
                }
            }
        }

        var buses = new Dictionary<string, BusEntry>(StringComparer.Ordinal);
        for (var i = 0; i < file.Buses.Count; i++)
        {
            var bus = file.Buses[i];
            var at = $"$.buses[{i}]";
            if (string.IsNullOrWhiteSpace(bus.Id) || !buses.TryAdd(bus.Id, bus))
            {
                yield return $"{at}.id: '{bus.Id}' is empty or used twice";
            }

            if (!BusTypes.Contains(bus.Type))
            {
                yield return $"{at}.type: '{bus.Type}' is not one of {string.Join(", ", BusTypes)}";
            }

            if (bus.Type is "tcp" or "rtu-over-tcp" && bus.Port is < 0 or > 65535)
            {
                yield return $"{at}.port: {bus.Port} is not a TCP port (0 picks a free one)";
            }

            if (bus.Type == "serial" && string.IsNullOrWhiteSpace(bus.Link))
            {
                yield return $"{at}.link: a serial bus needs the path masters open, e.g. /tmp/facilities-sim/line-1";
            }

            if (bus.Type == "serial" && bus.Pty is not ("libc" or "socat"))
            {
                yield return $"{at}.pty: '{bus.Pty}' is not libc or socat";
            }

            if (bus.BaudRate is < 1200 or > 921600)
            {
                yield return $"{at}.baudRate: {bus.BaudRate} is outside 1200..921600";
            }

            if (bus.Parity is not ("none" or "even" or "odd"))
            {
                yield return $"{at}.parity: '{bus.Parity}' is not none, even or odd";
            }
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var units = new HashSet<(string, int)>();
        for (var i = 0; i < file.Devices.Count; i++)
        {
            var device = file.Devices[i];
            var at = $"$.devices[{i}]";
            if (string.IsNullOrWhiteSpace(device.Id))
            {
                yield return $"{at}.id: required";
            }

            if (!Kinds.Contains(device.Kind))
            {
                yield return $"{at}.kind: '{device.Kind}' is not one of {string.Join(", ", Kinds)}";
            }

            if (!buildings.Contains((device.Site, device.Building)))
            {
                yield return $"{at}.building: no building '{device.Building}' in site '{device.Site}'";
            }

            if (!buses.ContainsKey(device.Bus))
            {
                yield return $"{at}.bus: no bus '{device.Bus}'";
            }

            if (device.Count < 1)
            {
                yield return $"{at}.count: must be at least 1";
            }

            foreach (var (id, unit) in Expand(device))
            {
                if (!ids.Add(id))
                {
                    yield return $"{at}.id: device id '{id}' is used twice";
                }

                if (unit is < 1 or > 247)
                {
                    yield return $"{at}.unit: unit id {unit} is outside 1..247";
                }
                else if (!units.Add((device.Bus, unit)))
                {
                    yield return $"{at}.unit: unit {unit} is already taken on bus '{device.Bus}'";
                }
            }

            if (Kinds.Contains(device.Kind) && OptionsError(device) is { } error)
            {
                yield return $"{at}.options: {error}";
            }
        }
    }

    /// <summary>The device ids and unit ids a (possibly counted) entry stands for.</summary>
    public static IEnumerable<(string Id, int Unit)> Expand(DeviceEntry device) =>
        device.Count <= 1
            ? [(device.Id, device.Unit)]
            : Enumerable.Range(1, device.Count).Select(k => ($"{device.Id}-{k}", device.Unit + k - 1));

    /// <summary>Builds the device models of a valid file.</summary>
    public static IReadOnlyList<DeviceModel> CreateDevices(CommunityFile file, DateTimeOffset now)
    {
        var models = new List<DeviceModel>();
        foreach (var device in file.Devices)
        {
            var k = 0;
            foreach (var (id, unit) in Expand(device))
            {
                k++;
                var name = device.Count <= 1 ? device.Name : $"{device.Name} {k}";
                var identity = new DeviceIdentity(id, name, device.Site, device.Building, device.Bus, (byte)unit);
                models.Add(device.Kind switch
                {
                    "elevator" => new ElevatorModel(identity, Options<ElevatorOptions>(device), now),
                    "boiler" => new BoilerModel(identity, Options<BoilerOptions>(device), now),
                    "charger-shed" => new ChargerShedModel(identity, Options<ChargerShedOptions>(device), now),
                    _ => new AedCabinetModel(identity, Options<AedCabinetOptions>(device), now),
                });
            }
        }

        return models;
    }

    private static string? OptionsError(DeviceEntry device)
    {
        try
        {
            return device.Kind switch
            {
                "elevator" => Check(Options<ElevatorOptions>(device)),
                "boiler" => Check(Options<BoilerOptions>(device)),
                "charger-shed" => Check(Options<ChargerShedOptions>(device)),
                _ => Check(Options<AedCabinetOptions>(device)),
            };
        }
        catch (JsonException e)
        {
            return $"{e.Path}: {FirstSentence(e.Message)}";
        }
    }

    private static string? Check(object options) => options switch
    {
        ElevatorOptions e when e.TopFloor <= e.BottomFloor => $"topFloor {e.TopFloor} must be above bottomFloor {e.BottomFloor}",
        ElevatorOptions e when e.RatedSpeed is <= 0 or > 10 => $"ratedSpeed {e.RatedSpeed} m/s is not plausible",
        ChargerShedOptions c when c.Ports is < 1 or > ChargerShedMap.MaxPorts => $"ports {c.Ports} is outside 1..{ChargerShedMap.MaxPorts}",
        _ => null,
    };

    private static T Options<T>(DeviceEntry device) where T : new() =>
        device.Options is { ValueKind: JsonValueKind.Object } element ? element.Deserialize<T>(OptionsJson) ?? new T() : new T();

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}

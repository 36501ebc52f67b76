using System.Text.Json;
using Facilities.Cloud.Domain.Alerts;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Devices.AedCabinet;
using Facilities.FirmwareSim.Devices.Boiler;
using Facilities.FirmwareSim.Devices.ChargerShed;
using Facilities.FirmwareSim.Devices.Elevator;
using Facilities.Gateway.Site;

namespace Facilities.EstateSimulation;

/// <summary>When the estate starts, how often the virtual gateway polls each device, and the seed of the polling offsets and traffic.</summary>
public sealed record EstateOptions
{
    public required DateTimeOffset Start { get; init; }

    public required TimeSpan PollInterval { get; init; }

    public required int Seed { get; init; }

    /// <summary>
    /// The longest step a device model takes (<see cref="DeviceModel.MaxStep"/>): one second for the alert-quality
    /// month; the demo's backfill of two weeks takes longer steps to stay within a few seconds.
    /// </summary>
    public TimeSpan ModelStep { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The sample estate's devices in virtual time: firmware-sim's models with January weather for Beijing and residents
/// calling the cars by the hour, each with a virtual gateway poller (<see cref="SimDevice"/>). The alert-quality month
/// injects its labelled faults into them; the demo runs them healthy to backfill its history.
/// </summary>
public static class EstateDevices
{
    private static readonly JsonSerializerOptions OptionsJson = new(JsonSerializerDefaults.Web);

    /// <summary>The estate's devices as firmware-sim builds them, with January in Beijing and the gateway's profile of each.</summary>
    public static List<SimDevice> Create(CommunityFile community, LoadedSite site, EstateOptions options)
    {
        var profiles = site.Devices.ToDictionary(d => d.Id, d => d.Profile, StringComparer.Ordinal);
        var devices = new List<SimDevice>();
        var random = new Random(options.Seed);
        foreach (var entry in community.Devices)
        {
            var k = 0;
            foreach (var (id, unit) in CommunityLoader.Expand(entry))
            {
                k++;
                var identity = new DeviceIdentity(id, entry.Count <= 1 ? entry.Name : $"{entry.Name} {k}", entry.Site, entry.Building, entry.Bus, (byte)unit);
                DeviceModel model = entry.Kind switch
                {
                    // Beijing in January: −12 °C before dawn, +6 °C in the afternoon.
                    "boiler" => new BoilerModel(identity, Options<BoilerOptions>(entry) with { OutdoorMean = -3, OutdoorSwing = 9 }, options.Start),
                    // The harness calls the cars by the hour (Traffic), so the model's own flat rate is off.
                    "elevator" => new ElevatorModel(identity, Options<ElevatorOptions>(entry) with { CallsPerHour = 0 }, options.Start),
                    "charger-shed" => new ChargerShedModel(identity, Options<ChargerShedOptions>(entry), options.Start),
                    _ => new AedCabinetModel(identity, Options<AedCabinetOptions>(entry), options.Start),
                };
                model.MaxStep = options.ModelStep;
                var floors = entry.Kind == "elevator" ? Options<ElevatorOptions>(entry) : null;
                var profile = profiles.TryGetValue(id, out var p) ? p : throw new InvalidDataException($"the gateway's site file has no device '{id}'");
                devices.Add(new SimDevice(model, profile, new ReplayDevice(site.File.Site, id, profile.Kind, site.File.Gateway, entry.Building),
                    options.Start + TimeSpan.FromTicks((long)(random.NextDouble() * options.PollInterval.Ticks)), options.Seed ^ StableHash(id),
                    floors?.BottomFloor ?? 0, floors?.TopFloor ?? 0));
            }
        }

        return devices;
    }

    /// <summary>A hash of the id that is the same in every process (string hashes are randomised per process).</summary>
    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash & 0x7fffffff;
    }

    private static T Options<T>(Facilities.FirmwareSim.Community.DeviceEntry entry) where T : new() =>
        entry.Options is { ValueKind: JsonValueKind.Object } element ? element.Deserialize<T>(OptionsJson) ?? new T() : new T();
}

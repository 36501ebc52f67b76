using System.Text.Json;
using System.Text.Json.Nodes;
using Facilities.FirmwareSim.Simulation;
using Facilities.Gateway.Site;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>
/// A gateway site of one simulated device on the simulator's TCP bus, with the profiles as shipped except that every
/// point is read on the device's fast interval (an AED's climate, battery and expiry points are otherwise read once a
/// minute), so a fault reaches the cloud within a second or two.
/// </summary>
internal static class FastPollSite
{
    public static LoadedSite Create(string directory, CommunityHost sim, string gateway, string deviceId, string profile)
    {
        var profiles = Directory.CreateDirectory(Path.Combine(directory, "profiles")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "profiles"), "*.json"))
        {
            var json = JsonNode.Parse(File.ReadAllText(file))!;
            foreach (var point in json["points"]!.AsArray())
            {
                point!.AsObject().Remove("pollInterval");
            }

            File.WriteAllText(Path.Combine(profiles, Path.GetFileName(file)), json.ToJsonString());
        }

        var endpoint = sim.Buses.Single().Endpoint.Split(':');
        var site = JsonSerializer.Serialize(new
        {
            site = "estate",
            gateway,
            buses = new object[] { new { id = "tcp", type = "tcp", host = endpoint[0], port = int.Parse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture), timeout = "00:00:00.300" } },
            devices = new object[] { new { id = deviceId, bus = "tcp", unit = 1, profile, building = "b01", pollInterval = "00:00:00.250" } },
        });
        var path = Path.Combine(directory, "site.json");
        File.WriteAllText(path, site);
        return SiteLoader.Load(path, profiles);
    }

    /// <summary>Waits for a condition; with <paramref name="advance"/> the cloud's clock moves 30 s per poll so "for" durations pass.</summary>
    public static Task WaitAsync(Func<Task<bool>> condition, ManualClock clock, bool advance, string what) =>
        Eventually.HoldsAsync(condition, what, TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken, TimeSpan.FromMilliseconds(250), advance ? () => clock.Advance(TimeSpan.FromSeconds(30)) : null);
}

using System.Text.Json;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Control;
using Facilities.FirmwareSim.Maps;
using Facilities.FirmwareSim.Simulation;

const string DefaultApi = "http://127.0.0.1:5080";
const string Usage = """
    facilities-sim — simulated elevators, boilers, charger sheds and AED cabinets as Modbus slaves

      facilities-sim run <community.json | sample-estate> [--api 127.0.0.1:5080] [--speed X]
          Start every bus and device in the file and the control API (port 0 picks a free one).
      facilities-sim devices [--kind K]                      list devices and their faults
      facilities-sim show <device>                           live values and the faults it supports
      facilities-sim inject <device> <fault> [--port N]      start a fault (N: charger port)
      facilities-sim clear <device> <fault> [--port N]       end a fault
      facilities-sim plug|unplug <shed> --port N             a resident plugs a bike in / takes it away
      facilities-sim offline|online <device>                 stop / resume answering Modbus
      facilities-sim maps <directory>                        write the register-map docs

    Client commands talk to --api URL (default $FACILITIES_SIM_API or http://127.0.0.1:5080).
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    return args[0] switch
    {
        "run" when args.Length >= 2 => await RunAsync(args[1], Option("--api") ?? "127.0.0.1:5080", Option("--speed")),
        "maps" when args.Length >= 2 => WriteMaps(args[1]),
        "devices" => await ClientAsync(ClientApi(), HttpMethod.Get, Option("--kind") is { } kind ? $"/devices?kind={kind}" : "/devices"),
        "show" when args.Length >= 2 => await ClientAsync(ClientApi(), HttpMethod.Get, $"/devices/{args[1]}"),
        "inject" when args.Length >= 3 => await ClientAsync(ClientApi(), HttpMethod.Post, FaultPath(args[1], args[2])),
        "clear" when args.Length >= 3 => await ClientAsync(ClientApi(), HttpMethod.Delete, FaultPath(args[1], args[2])),
        "plug" or "unplug" when args.Length >= 2 && Option("--port") is { } port =>
            await ClientAsync(ClientApi(), HttpMethod.Post, $"/devices/{Uri.EscapeDataString(args[1])}/ports/{Uri.EscapeDataString(port)}/{args[0]}"),
        "offline" or "online" when args.Length >= 2 => await ClientAsync(ClientApi(), HttpMethod.Post, $"/devices/{args[1]}/{args[0]}"),
        _ => Fail($"Unknown or incomplete command: {string.Join(' ', args)}\n\n{Usage}"),
    };
}
catch (CommunityFileException e)
{
    return Fail(e.Message);
}
catch (InvalidOperationException e)
{
    return Fail(e.Message);
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

string FaultPath(string device, string fault) =>
    $"/devices/{Uri.EscapeDataString(device)}/faults/{Uri.EscapeDataString(fault)}" + (Option("--port") is { } port ? $"?port={port}" : "");

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}

static int WriteMaps(string directory)
{
    RegisterMapDocument.WriteAll(directory);
    Console.WriteLine($"Wrote {RegisterMapDocument.Documented.Count} register maps to {directory}");
    return 0;
}

static async Task<int> RunAsync(string path, string api, string? speed)
{
    // A bare name finds a community shipped with the simulator: `run sample-estate`.
    var shipped = Path.Combine(AppContext.BaseDirectory, "communities", path.EndsWith(".json", StringComparison.Ordinal) ? path : path + ".json");
    var file = CommunityLoader.Load(!File.Exists(path) && !Path.IsPathRooted(path) && File.Exists(shipped) ? shipped : path);
    if (speed is not null)
    {
        file = file with { Speed = double.Parse(speed, System.Globalization.CultureInfo.InvariantCulture) };
    }

    var builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseUrls($"http://{api}");
    builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Facilities", LogLevel.Information);
    await using var app = builder.Build();
    await using var host = await CommunityHost.StartAsync(file, TimeProvider.System, app.Logger, app.Lifetime.ApplicationStopping);
    app.MapControlApi(host);
    await app.StartAsync();
    Console.WriteLine($"Control API: {string.Join(", ", app.Urls)}");
    foreach (var bus in host.Buses)
    {
        Console.WriteLine($"  bus {bus.Id,-16} {bus.Type,-13} {bus.Endpoint,-36} units {string.Join(",", bus.Units)}");
    }

    Console.WriteLine("Ready. Ctrl-C stops.");
    await app.WaitForShutdownAsync();
    return 0;
}

string ClientApi() => Option("--api")
    ?? (Environment.GetEnvironmentVariable("FACILITIES_SIM_API") is { Length: > 0 } fromEnv ? fromEnv : DefaultApi);

static async Task<int> ClientAsync(string baseAddress, HttpMethod method, string path)
{
    if (!baseAddress.StartsWith("http", StringComparison.Ordinal))
    {
        baseAddress = "http://" + baseAddress;
    }

    using var http = new HttpClient { BaseAddress = new Uri(baseAddress) };
    HttpResponseMessage response;
    try
    {
        response = await http.SendAsync(new HttpRequestMessage(method, path));
    }
    catch (HttpRequestException e)
    {
        return Fail($"Cannot reach the simulator at {baseAddress}: {e.Message}");
    }

    var body = await response.Content.ReadAsStringAsync();
    using var json = JsonDocument.Parse(body.Length == 0 ? "null" : body);
    Console.WriteLine(JsonSerializer.Serialize(json.RootElement, new JsonSerializerOptions { WriteIndented = true }));
    return response.IsSuccessStatusCode ? 0 : 1;
}

/// <summary>Exposes the entry point's type to the tests.</summary>
public partial class Program;

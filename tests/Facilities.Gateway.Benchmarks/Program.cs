using System.Globalization;
using Facilities.Benchmarks.Shared;
using Facilities.Gateway.Benchmarks;
using Facilities.Gateway.Benchmarks.Processes;
using Facilities.Gateway.Benchmarks.Suites;

// One executable, one command per part, so run.sh drives every step and writes the report from the parts' results.
using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopping.Cancel();
};

var command = CommandArguments.Parse(args);
TimeSpan Seconds(string option, double fallback) => TimeSpan.FromSeconds(command.GetDouble(option, fallback));
IReadOnlyDictionary<string, string> Service() => ServiceEnvironment.Read(command.Get("service"));
GatewayLaunch Launch() => command.Options.TryGetValue("qemu", out var qemu)
    ? GatewayLaunch.UnderQemu(qemu, command.Get("gateway"), Service())
    : GatewayLaunch.Native(command.Get("gateway"), Service());
int ClockTicks() => (int)command.GetDouble("clock-ticks", 100);

switch (command.Name)
{
    case "serial":
        var serial = await new SerialEfficiencySuite(new SerialSettings(
            Launch(), command.Get("simulator"), command.Get("reference"),
            [.. command.Get("bauds", "19200,115200").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture))],
            Seconds("warmup", 10), Seconds("seconds", 60), ClockTicks()), Console.Out).RunAsync(stopping.Token);
        await ResultFiles.WriteAsync(command.Get("out"), serial, stopping.Token);
        return 0;

    case "tcp":
        var tcp = await new TcpScaleSuite(new TcpSettings(Launch(), command.Get("simulator"), Seconds("warmup", 30), Seconds("seconds", 60), ClockTicks()),
            Console.Out).RunAsync(stopping.Token);
        await ResultFiles.WriteAsync(command.Get("out"), tcp, stopping.Token);
        return 0;

    case "footprint":
        var footprint = await new FootprintSuite(new FootprintSettings(
            command.Get("label"), Launch(), command.Get("simulator"), command.Get("site"),
            TimeSpan.FromMinutes(command.GetDouble("minutes", 10)), Seconds("interval", 10), ClockTicks()), Console.Out).RunAsync(stopping.Token);
        await ResultFiles.WriteAsync(command.Get("out"), footprint, stopping.Token);
        return 0;

    case "report":
        async Task<T?> ReadIfGiven<T>(string option) where T : class =>
            command.Options.TryGetValue(option, out var path) && File.Exists(path) ? await ResultFiles.ReadAsync<T>(path, stopping.Token) : null;
        var footprints = new List<FootprintResults>();
        foreach (var path in command.Get("footprint", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Where(File.Exists))
        {
            footprints.Add(await ResultFiles.ReadAsync<FootprintResults>(path, stopping.Token));
        }

        var report = GatewayReport.Write(MachineDescription.From(command), command.Get("service-name"), await ReadIfGiven<SerialResults>("serial"), await ReadIfGiven<TcpResults>("tcp"), footprints,
            command.Get("command"), command.Get("quick", "false") == "true", DateTimeOffset.UtcNow);
        await MarkedSection.WriteAsync(command.Get("doc"), GatewayReport.Section, report, stopping.Token);
        Console.WriteLine(report);
        return 0;

    default:
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"unknown command '{command.Name}': use serial, tcp, footprint or report (run.sh runs them in order)"));
        return 2;
}

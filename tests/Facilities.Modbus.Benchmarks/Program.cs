using System.Globalization;
using Facilities.Benchmarks.Shared;
using Facilities.Modbus.Benchmarks;

// One executable, four commands, so run.sh drives every step and our slave runs in its own process like the C server.
using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopping.Cancel();
};

var command = CommandArguments.Parse(args);
switch (command.Name)
{
    case "serve":
        await SlaveProcess.RunAsync(TimeSpan.FromSeconds(command.GetDouble("lifetime", 900)), stopping.Token);
        return 0;

    case "throughput":
        var settings = new ThroughputSettings(
            command.Get("libmodbus"),
            TimeSpan.FromSeconds(command.GetDouble("warmup", 1)),
            TimeSpan.FromSeconds(command.GetDouble("seconds", 3)),
            (int)command.GetDouble("rounds", 3),
            (int)command.GetDouble("connections", 50),
            command.Options.TryGetValue("only", out var only) ? only.Split(',').ToHashSet() : []);
        var throughput = await new ThroughputSuite(settings, Console.Out).RunAsync(stopping.Token);
        await ResultFiles.WriteAsync(command.Get("out"), throughput, stopping.Token);
        return 0;

    case "allocations":
        var allocations = AllocationSuite.Run(command.Get("libmodbus"), command.Get("artifacts"));
        await ResultFiles.WriteAsync(command.Get("out"), allocations, stopping.Token);
        return 0;

    case "report":
        var throughputs = new List<ThroughputResults>();
        foreach (var file in command.Get("throughput").Split(','))
        {
            throughputs.Add(await ResultFiles.ReadThroughputAsync(file, stopping.Token));
        }

        var report = BenchmarkReport.Write(
            MachineDescription.From(command),
            command.Get("libmodbus-version"),
            throughputs,
            await ResultFiles.ReadAllocationsAsync(command.Get("allocations"), stopping.Token),
            command.Get("command"),
            DateTimeOffset.UtcNow);
        await MarkedSection.WriteAsync(command.Get("doc"), BenchmarkReport.Section, report, stopping.Token);
        Console.WriteLine(report);
        return 0;

    default:
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"unknown command '{command.Name}': use serve, throughput, allocations or report (run.sh runs them in order)"));
        return 2;
}

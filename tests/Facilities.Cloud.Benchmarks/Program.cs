using System.Globalization;
using Facilities.Benchmarks.Shared;
using Facilities.Cloud.Benchmarks;
using Facilities.Testing;
using Microsoft.Data.Sqlite;

// run.sh runs `ingest` (measures every storage variant into a JSON file), then `report` (renders it into docs/benchmarks.md);
// run-fault-to-order.sh runs `fault-to-order`, then `fault-to-order-report`, the same way.
using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopping.Cancel();
};

var command = CommandArguments.Parse(args);
switch (command.Name)
{
    case "ingest":
        return await IngestAsync(command, stopping.Token);

    case "report":
        var results = await ResultFile.ReadAsync(command.Get("results"), stopping.Token);
        using (var sqlite = new SqliteConnection("Data Source=:memory:"))
        {
            sqlite.Open();
            var versions = new ServerVersions(command.Get("mosquitto-version"), command.Get("influx-version"), command.Get("postgres-version"), sqlite.ServerVersion);
            var report = IngestReport.Write(MachineDescription.From(command), versions, results.Results, command.Get("command"), results.When);
            await MarkedSection.WriteAsync(command.Get("doc"), IngestReport.Section, report, stopping.Token);
            Console.WriteLine(report);
        }

        return 0; // a missed target is a finding in the report, not a failure of the run

    case "fault-to-order":
        return await FaultToOrderAsync(command, stopping.Token);

    case "fleet":
        return await FleetAsync(command, stopping.Token);

    case "fleet-report":
        var fleetResults = await FleetFile.ReadAsync(command.Get("results"), stopping.Token);
        var fleetReport = FleetReport.Write(MachineDescription.From(command), command.Get("mosquitto-version"), command.Get("postgres-version"), fleetResults, command.Get("command"));
        await MarkedSection.WriteAsync(command.Get("doc"), FleetReport.Section, fleetReport, stopping.Token);
        Console.WriteLine(fleetReport);
        return 0; // a missed target is a finding in the report, not a failure of the run

    case "fault-to-order-report":
        var faultResults = await FaultToOrderFile.ReadAsync(command.Get("results"), stopping.Token);
        var faultReport = FaultToOrderReport.Write(MachineDescription.From(command), command.Get("mosquitto-version"), command.Get("postgres-version"), faultResults, command.Get("command"));
        await MarkedSection.WriteAsync(command.Get("doc"), FaultToOrderReport.Section, faultReport, stopping.Token);
        Console.WriteLine(faultReport);
        return 0; // a missed target is a finding in the report, not a failure of the run

    case "alert-quality":
        return await AlertQualityAsync(command, stopping.Token);

    default:
        await Console.Error.WriteLineAsync($"unknown command '{command.Name}': use ingest, then report (run.sh), fault-to-order, then fault-to-order-report (run-fault-to-order.sh), fleet, then fleet-report (run-fleet.sh), or alert-quality (run-alert-quality.sh)");
        return 2;
}

static async Task<int> AlertQualityAsync(CommandArguments command, CancellationToken cancellationToken)
{
    // run-alert-quality.sh: the labelled month in virtual time; writes docs/alert-quality.md and its line in docs/benchmarks.md.
    var options = new Facilities.Tests.AlertQuality.MonthOptions
    {
        Root = RepositoryRoot.Path,
        Days = (int)command.GetDouble("days", 30),
        Repeats = (int)command.GetDouble("repeats", 3),
        Seed = (int)command.GetDouble("seed", 20260105),
    };
    Console.WriteLine($"== {options.Days} simulated days, every fault {options.Repeats} times, seed {options.Seed}");
    var run = Facilities.Tests.AlertQuality.EstateMonth.Run(options);
    var score = Facilities.Tests.AlertQuality.AlertQualityScore.Of(run);
    var reproduce = command.Get("command");
    await File.WriteAllTextAsync(command.Get("doc"), score.Markdown(reproduce), cancellationToken);
    var summary = score.SummaryLine(reproduce);
    await MarkedSection.WriteAsync(command.Get("benchmarks"), "alert-quality", "## Alert quality\n\n" + summary + "\n", cancellationToken);
    Console.WriteLine(summary);
    return 0; // false and missed alerts are findings in the report, not a failure of the run
}

static async Task<int> FaultToOrderAsync(CommandArguments command, CancellationToken cancellationToken)
{
    var faults = (int)command.GetDouble("faults", FaultToOrderReport.FullFaults);
    var storages = command.Get("storage", "sqlite,postgres").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    if (storages.Except(["sqlite", "postgres", "postgres-2"]).FirstOrDefault() is { } unknown)
    {
        await Console.Error.WriteLineAsync($"--storage: '{unknown}' is not sqlite, postgres or postgres-2 (two instances on PostgreSQL)");
        return 2;
    }

    await using var postgres = storages.Any(s => s.StartsWith("postgres", StringComparison.Ordinal)) ? await PostgresServer.StartAsync(cancellationToken) : null;
    var run = new FaultToOrderRun(faults, Console.Out);
    var results = new List<FaultToOrderResult>();
    foreach (var storage in storages)
    {
        var directory = Directory.CreateTempSubdirectory("cloud-fault-bench-").FullName;
        var connection = storage == "postgres"
            ? await postgres!.CreateDatabaseAsync(cancellationToken)
            : string.Create(CultureInfo.InvariantCulture, $"Data Source={Path.Combine(directory, "cloud.db")}");
        results.Add(await run.RunAsync(storage, connection, cancellationToken));
        Directory.Delete(directory, recursive: true);
    }

    await new FaultToOrderFile(DateTimeOffset.UtcNow, faults, results).WriteAsync(command.Get("out"), cancellationToken);
    return 0;
}

static async Task<int> FleetAsync(CommandArguments command, CancellationToken cancellationToken)
{
    var quick = command.Get("quick", "false") == "true";
    var settings = new FleetSettings(
        [.. command.Get("sizes", "72,2000,20000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
        TimeSpan.FromSeconds(command.GetDouble("warmup-seconds", quick ? 5 : 10)),
        TimeSpan.FromSeconds(command.GetDouble("window-seconds", quick ? 25 : 45)),
        TimeSpan.FromSeconds(command.GetDouble("silence-seconds", quick ? 15 : 20)));
    var storages = command.Get("storage", "sqlite,postgres").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    if (storages.Except(["sqlite", "postgres", "postgres-2"]).FirstOrDefault() is { } unknown)
    {
        await Console.Error.WriteLineAsync($"--storage: '{unknown}' is not sqlite, postgres or postgres-2 (two instances on PostgreSQL)");
        return 2;
    }

    var run = new FleetRun(settings, Console.Out);
    var warmup = new FleetRun(settings with { Warmup = TimeSpan.FromSeconds(3), Window = TimeSpan.FromSeconds(8), Silence = TimeSpan.FromSeconds(5) }, Console.Out);
    var results = new List<FleetResult>();
    foreach (var storage in storages)
    {
        // The first cloud in the process pays for compiling its code: a short run of the smallest fleet first, not reported,
        // so the 72-device peer is measured as warm as the sizes after it.
        foreach (var size in settings.Sizes.Take(1).Select(s => -s).Concat(settings.Sizes))
        {
            // A server of its own per size, so one size's dead rows and caches do not weigh on the next.
            await using var postgres = storage == "postgres" ? await PostgresServer.StartAsync(cancellationToken) : null;
            var directory = Directory.CreateTempSubdirectory("cloud-fleet-db-").FullName;
            var connection = postgres is not null
                ? await postgres.CreateDatabaseAsync(cancellationToken)
                : string.Create(CultureInfo.InvariantCulture, $"Data Source={Path.Combine(directory, "cloud.db")}");
            if (size < 0)
            {
                Console.WriteLine($"   warm-up (not reported):");
                await warmup.RunAsync(storage, connection, -size, postgres?.Port, cancellationToken);
            }
            else
            {
                results.Add(await run.RunAsync(storage, connection, size, postgres?.Port, cancellationToken));
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    await new FleetFile(DateTimeOffset.UtcNow, quick, results).WriteAsync(command.Get("out"), cancellationToken);
    return 0;
}

static async Task<int> IngestAsync(CommandArguments command, CancellationToken cancellationToken)
{
    var settings = new IngestSettings(
        Messages: (int)command.GetDouble("messages", 100_000),
        Gateways: (int)command.GetDouble("gateways", 4),
        DevicesPerGateway: (int)command.GetDouble("devices-per-gateway", 25),
        WarmupMessages: (int)command.GetDouble("warmup", 2_000),
        SubscriberRuns: (int)command.GetDouble("subscriber-runs", 3),
        BatchSize: command.Options.TryGetValue("batch-size", out var batchSize) ? int.Parse(batchSize, CultureInfo.InvariantCulture) : null,
        Timeout: TimeSpan.FromMinutes(command.GetDouble("timeout-minutes", 20)),
        Profile: command.Get("profile", "true") == "true",
        WarmDrains: (int)command.GetDouble("warm-drains", 5),
        WarmDrainMessages: (int)command.GetDouble("warm-drain-messages", 40_000));
    var storages = command.Get("storage", "sqlite,postgres").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    if (storages.Except(["sqlite", "postgres", "postgres-2"]).FirstOrDefault() is { } unknown)
    {
        await Console.Error.WriteLineAsync($"--storage: '{unknown}' is not sqlite, postgres or postgres-2 (two instances on PostgreSQL)");
        return 2;
    }

    await using var influx = await InfluxServer.StartAsync(cancellationToken);
    await using var postgres = storages.Any(s => s.StartsWith("postgres", StringComparison.Ordinal)) ? await PostgresServer.StartAsync(cancellationToken) : null;
    var run = new IngestRun(settings, influx, Console.Out);
    var results = new List<IngestResult>();
    foreach (var storage in storages)
    {
        var directory = Directory.CreateTempSubdirectory("cloud-bench-").FullName;
        var databases = 0;
        results.Add(await run.RunAsync(storage, async ct => IngestRun.Variant(storage).Provider == "postgres"
            ? await postgres!.CreateDatabaseAsync(ct)
            : string.Create(CultureInfo.InvariantCulture, $"Data Source={Path.Combine(directory, $"cloud-{++databases}.db")}"), cancellationToken));
        Directory.Delete(directory, recursive: true);
    }

    await new ResultFile(DateTimeOffset.UtcNow, results).WriteAsync(command.Get("out"), cancellationToken);
    return 0;
}

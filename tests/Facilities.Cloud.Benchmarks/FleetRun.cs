using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Facilities.Cloud.Storage;
using Facilities.Telemetry;
using Facilities.Testing;
using MQTTnet;
using MQTTnet.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Benchmarks;

/// <summary>How long each part of a fleet run takes.</summary>
internal sealed record FleetSettings(IReadOnlyList<int> Sizes, TimeSpan Warmup, TimeSpan Window, TimeSpan Silence);

/// <summary>
/// One storage variant at one fleet size: the idle cloud's CPU over the window (% of one core, the benchmark's process,
/// which is the cloud's, since nothing else in it runs meanwhile) and PostgreSQL's (the server and its backends), and
/// the probe device's silence-detection delay: when its stale alert fired, minus its last message, minus its window.
/// </summary>
internal sealed record FleetResult(
    string Storage, int Devices, int Gateways, double SeedSeconds, double CloudCpuPercent, double? PostgresCpuPercent, double WindowSeconds,
    double SilenceWindowSeconds, double? SilenceDelaySeconds, int AlertsInFleet, string LoadAverage, long PreventiveOrders, double SettleSeconds);

/// <summary>
/// The idle cloud at a given fleet size. The fleet (site <c>estate</c>) is written straight into the database before the
/// cloud starts — gateways, devices heard just now, and their due rows as ingestion would leave them — so 100,000
/// devices take seconds, not a publishing run. The cloud then runs with its production defaults against a real
/// Mosquitto with no traffic at all, except for one probe device of its own site (<c>probe</c>, whose silence rule
/// waits <see cref="FleetSettings.Silence"/> instead of 12 min, through a site rule file) that sends one message at the
/// start of the window and then falls silent.
/// </summary>
internal sealed class FleetRun(FleetSettings settings, TextWriter log)
{
    private const string Site = "estate";
    private const string ProbeSite = "probe";
    private const string ProbeGateway = "gw-probe";
    private const string ProbeDevice = "probe-1";
    private const int DevicesPerGateway = 25;
    private static readonly string[] Kinds = ["elevator", "boiler", "charger-shed", "aed-cabinet"];

    public async Task<FleetResult> RunAsync(string storage, string connectionString, int devices, int? postgresPort, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("cloud-fleet-").FullName;
        try
        {
            var rules = Path.Combine(directory, "site-rules");
            Directory.CreateDirectory(rules);
            await File.WriteAllTextAsync(Path.Combine(rules, $"{ProbeSite}.json"), JsonSerializer.Serialize(new[]
            {
                new Dictionary<string, string>
                {
                    ["id"] = "device.stale", ["kind"] = "*", ["type"] = "stale", ["severity"] = "warning", ["title"] = "probe silence",
                    ["after"] = settings.Silence.ToString("c", CultureInfo.InvariantCulture),
                },
            }), cancellationToken);

            var database = CloudDatabase.Create(new StorageOptions { Provider = storage, ConnectionString = connectionString });
            await using (database)
            {
                await Migrations.ApplyAsync(database, Facilities.Cloud.Storage.Schema.All, cancellationToken);
                var seeding = Stopwatch.StartNew();
                var gateways = await SeedAsync(database, devices, cancellationToken);
                var seedSeconds = seeding.Elapsed.TotalSeconds;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {storage}, {devices:N0} devices: seeded {gateways:N0} gateways and the devices in {seedSeconds:0.0} s"));

                await using var broker = await MosquittoBroker.StartAsync(cancellationToken);
                await using var cloud = await CloudUnderTest.StartAsync(broker.Port, $"bench-fleet-{storage}-{devices}", new CloudStorage(storage, connectionString, null, null), cancellationToken,
                    new Dictionary<string, string?> { ["Rules:SiteDirectory"] = rules });
                await Task.Delay(settings.Warmup, cancellationToken);

                // A fleet the cloud has never seen gets its half-monthly preventive orders at the scheduler's first pass (one
                // order per elevator, at start and then every 5 min): real work, once per period, not idle work. The window
                // starts once the count of work orders has stood still for 6 s.
                var cloudDatabase = cloud.Services.GetRequiredService<CloudDatabase>();
                var settling = Stopwatch.StartNew();
                var (orders, still) = (-1L, 0);
                while (still < 3 && settling.Elapsed < TimeSpan.FromMinutes(4))
                {
                    await using var connection = await cloudDatabase.OpenAsync(cancellationToken);
                    var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM work_orders", cancellationToken: cancellationToken));
                    (orders, still) = (count, count == orders ? still + 1 : 0);
                    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                }

                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   {storage}, {devices:N0} devices: {orders:N0} preventive orders opened at start, settled after {settling.Elapsed.TotalSeconds:0} s"));

                var postgres = postgresPort is { } port ? PostgresProcesses.Find(port) : null;
                var cpu0 = ProcessCpu.Self();
                var pg0 = postgres?.Cpu();
                var clock = Stopwatch.StartNew();
                var lastHeard = await ProbeAsync(broker.Port, cancellationToken);
                await Task.Delay(settings.Window - clock.Elapsed, cancellationToken);
                var cpu = (ProcessCpu.Self() - cpu0) / clock.Elapsed.TotalSeconds * 100;
                double? pgCpu = postgres is null ? null : (postgres.Cpu() - pg0!.Value) / clock.Elapsed.TotalSeconds * 100;

                // The probe's alert, if it has not fired within the window yet: waited for up to a minute more.
                long? firedAt = null;
                var waiting = Stopwatch.StartNew();
                while (firedAt is null && waiting.Elapsed < TimeSpan.FromMinutes(1))
                {
                    await using var connection = await cloudDatabase.OpenAsync(cancellationToken);
                    firedAt = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                        "SELECT fired_at FROM alerts WHERE site = @ProbeSite AND device = @ProbeDevice AND rule_id = 'device.stale' AND fired_at IS NOT NULL",
                        new { ProbeSite, ProbeDevice }, cancellationToken: cancellationToken));
                    if (firedAt is null)
                    {
                        await Task.Delay(200, cancellationToken);
                    }
                }

                if (storage == "postgres" && Environment.GetEnvironmentVariable("BENCH_TABLE_STATS") == "1")
                {
                    await using var statsConnection = await cloudDatabase.OpenAsync(cancellationToken);
                    foreach (var row in await statsConnection.QueryAsync<(string Table, long SeqScan, long SeqRead, long IdxScan, long IdxFetch, long Inserted, long Updated)>(new CommandDefinition(
                        "SELECT relname, seq_scan, seq_tup_read, COALESCE(idx_scan, 0), COALESCE(idx_tup_fetch, 0), n_tup_ins, n_tup_upd FROM pg_stat_user_tables ORDER BY seq_tup_read + COALESCE(idx_tup_fetch, 0) DESC LIMIT 8",
                        cancellationToken: cancellationToken)))
                    {
                        log.WriteLine($"     {row.Table}: seq scans {row.SeqScan} ({row.SeqRead} rows), index scans {row.IdxScan} ({row.IdxFetch} rows), inserted {row.Inserted}, updated {row.Updated}");
                    }
                }

                int alerts;
                await using (var connection = await cloudDatabase.OpenAsync(cancellationToken))
                {
                    alerts = await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM alerts WHERE site = @Site", new { Site }, cancellationToken: cancellationToken));
                }

                double? delay = firedAt is { } fired ? (fired - lastHeard.ToUnixTimeMilliseconds()) / 1000.0 - settings.Silence.TotalSeconds : null;
                var load = File.Exists("/proc/loadavg") ? string.Join(' ', (await File.ReadAllTextAsync("/proc/loadavg", cancellationToken)).Split(' ').Take(3)) : "unknown";
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   {storage}, {devices:N0} devices: cloud {cpu:0.00} % of a core{(pgCpu is { } p ? $", PostgreSQL {p:0.00} %" : "")}; silence found {(delay is { } d ? $"{d:0.00} s" : "never")} after its {settings.Silence.TotalSeconds:0} s window"));
                return new FleetResult(storage, devices, gateways, seedSeconds, cpu, pgCpu, clock.Elapsed.TotalSeconds, settings.Silence.TotalSeconds, delay, alerts, load,
                    orders, settling.Elapsed.TotalSeconds);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Writes the fleet straight into the database: one gateway per 25 devices, every device heard now, and the due rows
    /// ingestion would have left (silence at last heard + the window, 12 min for devices, 3 min for gateways).
    /// </summary>
    private static async Task<int> SeedAsync(CloudDatabase database, int devices, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var gateways = (devices + DevicesPerGateway - 1) / DevicesPerGateway;
        var deviceSilence = now + (long)TimeSpan.FromMinutes(12).TotalMilliseconds + 1;
        var gatewaySilence = now + (long)TimeSpan.FromMinutes(3).TotalMilliseconds + 1;
        string Gateway(int i) => string.Create(CultureInfo.InvariantCulture, $"gw-{i:D5}");
        string Device(int i) => string.Create(CultureInfo.InvariantCulture, $"dev-{i:D6}");

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        await new RowsStatement("INSERT INTO gateways (site, gateway, state, state_since, last_seen, status_ts)", "", DbType.String, DbType.String, DbType.String, DbType.Int64, DbType.Int64, DbType.Int64)
            .ExecuteAsync(connection, transaction, [.. Enumerable.Range(0, gateways).Select(g => new object?[] { Site, Gateway(g), "online", now, now, now })], cancellationToken);
        await new RowsStatement("INSERT INTO devices (site, device, gateway, kind, building, state, state_since, state_ts, last_seen)", "",
                DbType.String, DbType.String, DbType.String, DbType.String, DbType.String, DbType.String, DbType.Int64, DbType.Int64, DbType.Int64)
            .ExecuteAsync(connection, transaction, [.. Enumerable.Range(0, devices).Select(d => new object?[] { Site, Device(d), Gateway(d / DevicesPerGateway), Kinds[d % Kinds.Length], "b01", "online", now, now, now })], cancellationToken);
        var due = new RowsStatement("INSERT INTO due_work (site, subject, silence_at, due_at)", "", DbType.String, DbType.String, DbType.Int64, DbType.Int64);
        await due.ExecuteAsync(connection, transaction, [.. Enumerable.Range(0, devices).Select(d => new object?[] { Site, Device(d), deviceSilence, deviceSilence })], cancellationToken);
        await due.ExecuteAsync(connection, transaction, [.. Enumerable.Range(0, gateways).Select(g => new object?[] { Site, "gateway:" + Gateway(g), gatewaySilence, gatewaySilence })], cancellationToken);
        await write.CommitAsync(cancellationToken);
        return gateways;
    }

    /// <summary>The probe gateway's status and one reading of the probe device, at QoS 1; returns when the broker took them.</summary>
    private static async Task<DateTimeOffset> ProbeAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("bench-fleet-probe").WithCleanSession().Build(), cancellationToken);
        var now = DateTimeOffset.UtcNow;
        await PublishAsync(Topics.GatewayStatus(ProbeSite, ProbeGateway), MessageJson.Serialize(new GatewayStatusMessage(Facilities.Telemetry.Schema.Version, 1, now, ProbeGateway, "online", "bench", 1, 1, 0, 0)));
        await PublishAsync(Topics.Telemetry(ProbeSite, ProbeGateway, ProbeDevice),
            MessageJson.Serialize(new TelemetryMessage(Facilities.Telemetry.Schema.Version, 2, now, ProbeDevice, "elevator", "b01", new Dictionary<string, double> { ["floor"] = 1 }, null)));
        var sent = DateTimeOffset.UtcNow;
        await client.DisconnectAsync(cancellationToken: cancellationToken);
        return sent;

        async Task PublishAsync(string topic, byte[] payload)
        {
            var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
            if (!result.IsSuccess)
            {
                throw new InvalidOperationException($"the broker refused the probe's message: {result.ReasonCode}");
            }
        }
    }
}

/// <summary>CPU seconds a process used (user + system), from <c>/proc/{pid}/stat</c>.</summary>
internal static class ProcessCpu
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, 100 on every Linux the project targets

    public static double Self() => Fields("self") is { } f ? (f[11] + f[12]) / TicksPerSecond : 0;

    /// <summary>Fields 3 and on of /proc/{pid}/stat as numbers (index 0 is the state), or null when the process is gone.</summary>
    public static long[]? Fields(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return [.. rest.Select(v => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0)];
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>
/// A PostgreSQL server's processes: the postmaster listening on the port, and its children (backends, checkpointer,
/// autovacuum). Their CPU is the postmaster's own and its exited children's (cutime, cstime) plus the live children's.
/// </summary>
internal sealed class PostgresProcesses(string postmaster)
{
    public static PostgresProcesses? Find(int port)
    {
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            var pid = Path.GetFileName(directory);
            if (!pid.All(char.IsAsciiDigit))
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
                var p = Array.IndexOf(arguments, "-p");
                if (arguments[0].EndsWith("/postgres", StringComparison.Ordinal) && p >= 0 && p + 1 < arguments.Length && arguments[p + 1] == port.ToString(CultureInfo.InvariantCulture))
                {
                    return new PostgresProcesses(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    public double Cpu()
    {
        var own = ProcessCpu.Fields(postmaster);
        if (own is null)
        {
            return 0;
        }

        var ticks = own[11] + own[12] + own[13] + own[14];
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            var pid = Path.GetFileName(directory);
            if (pid.All(char.IsAsciiDigit) && ProcessCpu.Fields(pid) is { } child && child[1].ToString(CultureInfo.InvariantCulture) == postmaster)
            {
                ticks += child[11] + child[12];
            }
        }

        return ticks / 100.0;
    }
}

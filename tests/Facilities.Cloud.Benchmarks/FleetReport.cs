using System.Globalization;
using System.Text;
using Facilities.Benchmarks.Shared;

namespace Facilities.Cloud.Benchmarks;

/// <summary>A fleet run's figures as `fleet` leaves them for `fleet-report`.</summary>
internal sealed record FleetFile(DateTimeOffset When, bool Quick, IReadOnlyList<FleetResult> Results)
{
    public Task WriteAsync(string path, CancellationToken cancellationToken) => ResultJson.WriteAsync(path, this, cancellationToken);

    public static Task<FleetFile> ReadAsync(string path, CancellationToken cancellationToken) => ResultJson.ReadAsync<FleetFile>(path, cancellationToken);
}

/// <summary>Renders the fleet-size section of docs/benchmarks.md (issue 16, item 2). Pure: the caller writes the section.</summary>
internal static class FleetReport
{
    public const string Section = "cloud-fleet-benchmark";

    /// <summary>Issue 16: at most 5 % of a core idle at 100,000 devices.</summary>
    public const double CpuTarget = 5;

    /// <summary>Issue 16: silence found within its window + 5 s at every size.</summary>
    public const double SilenceAllowance = 5;

    /// <summary>The peer every size is compared with: the same cloud, same storage, in the same run, with the sample estate's 72 devices.</summary>
    public const int PeerSize = 72;

    public static IReadOnlyList<Verdict> Evaluate(IReadOnlyList<FleetResult> results)
    {
        var verdicts = new List<Verdict>();
        foreach (var r in results.OrderBy(r => r.Storage, StringComparer.Ordinal).ThenBy(r => r.Devices))
        {
            var peer = results.FirstOrDefault(p => p.Storage == r.Storage && p.Devices == PeerSize);
            var ratio = peer is { CloudCpuPercent: > 0 } ? Invariant($"{r.CloudCpuPercent / peer.CloudCpuPercent:0.00}×") : "–";
            verdicts.Add(new Verdict((verdicts.Count + 1).ToString(CultureInfo.InvariantCulture),
                Invariant($"Idle cloud CPU, {Storage(r.Storage)}, {r.Devices:N0} devices (vs the same cloud with {PeerSize} devices)"),
                Invariant($"{r.CloudCpuPercent:0.00} %"), peer is null ? "–" : Invariant($"{peer.CloudCpuPercent:0.00} %"), ratio,
                Invariant($"≤ {CpuTarget:0} % of a core at 100,000"), r.Devices >= 100_000 ? r.CloudCpuPercent <= CpuTarget : null));
            verdicts.Add(new Verdict((verdicts.Count + 1).ToString(CultureInfo.InvariantCulture),
                Invariant($"Silence detection, {Storage(r.Storage)}, {r.Devices:N0} devices: stale alert after the probe's last message, beyond its window"),
                r.SilenceDelaySeconds is { } d ? Invariant($"{d:0.00} s") : "never", Invariant($"{r.SilenceWindowSeconds:0} s window"),
                r.SilenceDelaySeconds is { } s ? Invariant($"{(r.SilenceWindowSeconds + s) / r.SilenceWindowSeconds:0.00}×") : "–",
                Invariant($"≤ window + {SilenceAllowance:0} s"), r.SilenceDelaySeconds is { } delay && delay <= SilenceAllowance));
        }

        return verdicts;
    }

    public static string Write(MachineDescription machine, string mosquitto, string postgres, FleetFile file, string command)
    {
        ArgumentNullException.ThrowIfNull(file);
        var results = file.Results;
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(Invariant(line));
        List<(string, string)> servers = [("broker", $"Mosquitto {mosquitto} (no traffic but the probe's two messages)")];
        if (results.Any(r => r.Storage == "postgres"))
        {
            servers.Add(("PostgreSQL", $"{postgres}, the test cluster of tests/Facilities.Testing/PostgresServer.cs (`fsync=off`, `synchronous_commit=off`)"));
        }

        ReportHeader.Append(text, "Cloud: idle work and silence detection by fleet size", command, file.When,
            "\nIt ran on a shared 2-core machine while other engineers' builds and tests ran too (see the load averages)." +
            (file.Quick ? "\nA quick run (`--quick`): a shorter measuring window and silence rule than the full run." : ""),
            machine, [.. servers]);
        Line($"### Target");
        Line($"");
        Verdict.AppendTable(text, Evaluate(results));
        Line($"");
        Line($"### Figures");
        Line($"");
        Line($"| storage | devices (gateways) | seeded in | preventive orders at start (settled after) | idle cloud CPU | vs {PeerSize} devices | PostgreSQL CPU | silence found after window + | fleet alerts | load average |");
        Line($"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var r in results.OrderBy(r => r.Storage, StringComparer.Ordinal).ThenBy(r => r.Devices))
        {
            var peer = results.FirstOrDefault(p => p.Storage == r.Storage && p.Devices == PeerSize);
            Line($"| {Storage(r.Storage)} | {r.Devices:N0} ({r.Gateways:N0}) | {r.SeedSeconds:0.0} s | {r.PreventiveOrders:N0} ({r.SettleSeconds:0} s) | **{r.CloudCpuPercent:0.00} %** | {(peer is { CloudCpuPercent: > 0 } ? Invariant($"{r.CloudCpuPercent / peer.CloudCpuPercent:0.00}×") : "–")} | {(r.PostgresCpuPercent is { } p ? Invariant($"{p:0.00} %") : "–")} | {(r.SilenceDelaySeconds is { } d ? Invariant($"**{d:0.00} s** (window {r.SilenceWindowSeconds:0} s)") : "never")} | {r.AlertsInFleet} | `{r.LoadAverage}` |");
        }

        Line($"");
        Line($"CPU is % of one core over a {(results.Count > 0 ? results[0].WindowSeconds : 0):0} s window. Before the due-work table (the sweeper that re-read");
        Line($"every device every 5 s), issue 16 measured on a machine of the same kind: 2 % of a core with no devices, 7 % with");
        Line($"2,000, 56 % with 20,000 on SQLite and 74 % on PostgreSQL (plus PostgreSQL's own CPU) — not from this run.");
        Line($"");
        text.Append(Method);
        return text.ToString();
    }

    private static string Storage(string provider) => provider == "postgres" ? "PostgreSQL" : "SQLite";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private const string Method = """
        ### Method

        - **The fleet** (site `estate`) is written straight into a fresh database before the cloud starts, in one
          transaction (`RowsStatement`, one statement per table): one gateway per 25 devices, elevators, boilers, charger
          sheds and AED cabinets in turn, every device and gateway heard just now, and their `due_work` rows as ingestion
          leaves them (silence due 12 min after last heard for devices, 3 min for gateways). Publishing 100,000 devices'
          first messages would take minutes and measure ingestion, which `run.sh` covers.
        - **Idle**: the whole cloud (`CloudApp`, production defaults, external broker, no InfluxDB) runs against a real
          Mosquitto; after a warm-up, its CPU is read from `/proc/self/stat` (user + system) at the start and the end of
          the window. The cloud runs in the benchmark's process, which does nothing else meanwhile. PostgreSQL's CPU is the
          postmaster's with its exited children's plus its live children's (`/proc/<pid>/stat`).
        - **Settling first**: a fleet the cloud has never seen gets its half-monthly preventive orders (one per elevator)
          at the preventive scheduler's first pass, right after start; that is work once per period, not idle work, so
          the window starts after the warm-up once the number of work orders has stood still for 6 s (the table shows how
          many and how long). The scheduler's next pass is 5 min later (`WorkOrders:Preventive:Interval`), outside the
          window: it still reads every elevator heard in 30 days and every scheduled order of the last 400 days, so at
          a large fleet it is the one remaining periodic read of the whole fleet (every 5 min, not every 5 s), not
          measured here.
        - **Silence**: a probe device of its own site (`probe`, whose site rule file sets `device.stale` to the window
          shown) sends one reading through Mosquitto at the start of the window and nothing after; the figure is the
          stale alert's `fired_at` minus the time the broker acknowledged that reading, minus the window.
        - **Peer**: every size is compared with the same cloud on the same storage with the sample estate's 72 devices,
          in the same run. The raw figures are in `artifacts/cloud-fleet/results.json` (not committed).
        """;
}

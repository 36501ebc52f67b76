using System.Text;
using Facilities.Benchmarks.Shared;

namespace Facilities.Gateway.Benchmarks;

/// <summary>Renders the gateway section of docs/benchmarks.md from one run's results. Pure: the caller writes the section.</summary>
internal static class GatewayReport
{
    /// <summary>The markers of this benchmark's section in docs/benchmarks.md.</summary>
    public const string Section = "gateway-benchmark";

    public static string Write(
        MachineDescription machine, string serviceUnit, SerialResults? serial, TcpResults? tcp, IReadOnlyList<FootprintResults> footprints,
        string command, bool quick, DateTimeOffset when)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(Targets.Invariant(line));
        var environment = serial?.Environment ?? tcp?.Environment ?? (footprints.Count > 0 ? footprints[0].Environment : "");

        ReportHeader.Append(text, "Gateway benchmark: serial efficiency, Modbus TCP at scale, footprint", command, when,
            quick ? " This was a quick run (short windows, short footprint run): the figures are indicative; the full run is the same command without `--quick`." : "",
            machine, ("gateway process", $"its own process, with the environment of its systemd unit (`{serviceUnit}`): `{environment}`"));
        Line($"### Targets");
        Line($"");
        Verdict.AppendTable(text, Targets.Evaluate(serial, tcp, footprints));
        Line($"");
        Line($"Load average (/proc/loadavg) as each measurement window opened and closed, to show what else ran on the machine:");
        Line($"");
        foreach (var line in serial?.Lines ?? [])
        {
            foreach (var scenario in line.Scenarios)
            {
                Line($"- serial {line.Baud} baud, {Scenario(scenario)}: `{scenario.LoadAverageStart}`, then `{scenario.LoadAverageEnd}`");
            }
        }

        if (tcp is not null)
        {
            Line($"- Modbus TCP at scale: `{tcp.LoadAverageStart}`, then `{tcp.LoadAverageEnd}`");
        }

        foreach (var footprint in footprints)
        {
            Line($"- footprint, {footprint.Label}: `{footprint.LoadAverageStart}`, then `{footprint.LoadAverageEnd}`");
        }

        if (serial is not null)
        {
            WriteSerial(text, serial);
        }

        if (tcp is not null)
        {
            WriteTcp(text, tcp);
        }

        if (footprints.Count > 0)
        {
            WriteFootprint(text, footprints);
        }

        text.Append(HowToRead);
        return text.ToString();
    }

    private static string Scenario(SerialScenarioResult scenario) =>
        scenario.DeadDevice is null ? "all devices healthy" : $"{scenario.DeadDevice} dead";

    private static void WriteSerial(StringBuilder text, SerialResults serial)
    {
        void Line(FormattableString line) => text.AppendLine(Targets.Invariant(line));
        var first = serial.Lines[0];
        Line($"");
        Line($"### Serial efficiency");
        Line($"");
        Line($"{first.Devices} firmware-sim charger sheds (units 1–{first.Devices}) on one serial line with `lineTiming` on, so the");
        Line($"simulator holds every frame for its wire time at the baud rate (8E1, 11 bits a character). The gateway polls");
        Line($"each device every {first.PollIntervalSeconds * 1000:0} ms (the shortest interval a site file allows), far more than the line carries,");
        Line($"so the line is saturated. Its plan makes {first.ReadSizes.Count} reads of {first.RegistersPerRead} input registers per poll");
        Line($"(`profiles/benchmark-charger-ports.json`). Bus timeout {first.TimeoutSeconds * 1000:0} ms, as in the sample estate. Completed");
        Line($"transactions are the healthy devices' successful polls (gateway metrics) times the reads of a poll. Each window:");
        Line($"{serial.MeasureSeconds:0} s after {serial.WarmupSeconds:0} s of warm-up. In the one-dead runs the device goes silent (`comm-offline`");
        Line($"through the simulator's control API) as the window opens, so the window includes its detection and back-off.");
        Line($"");
        Line($"The limit: `T = (13 + 2N) × 11 / baud + 2 × t3.5` per read plus the device's turnaround, which the reference");
        Line($"master (`reference/rtu_master.c`: raw termios, one thread, t3.5 kept to the microsecond) measures on the same");
        Line($"line just before: its mean exchange time less both frames' wire time and one t3.5.");
        Line($"");
        Line($"| baud | N | T per read | limit, formula alone | device turnaround (measured) | limit, T + turnaround | reference master | reference ÷ limit |");
        Line($"| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var line in serial.Lines)
        {
            var t = ModbusPhysics.ReadSeconds(line.RegistersPerRead, line.Baud);
            Line($"| {line.Baud} | {line.RegistersPerRead} | {t * 1000:0.00} ms | {line.FormulaLimitPerSecond:0.0} tx/s | {line.DeviceTurnaroundSeconds * 1000:0.00} ms | {line.LimitPerSecond:0.0} tx/s | {line.Reference.TransactionsPerSecond:0.0} tx/s | {line.Reference.TransactionsPerSecond / line.LimitPerSecond:0.00} |");
        }

        Line($"");
        Line($"| baud | devices | window | transactions | gateway | ÷ limit (T + turnaround) | ÷ formula alone | polls of the dead device (each a timeout) | failed polls of healthy devices | gateway CPU |");
        Line($"| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var line in serial.Lines)
        {
            foreach (var s in line.Scenarios)
            {
                Line($"| {line.Baud} | {Scenario(s)} | {s.Seconds:0.0} s | {s.Transactions:N0} | {s.TransactionsPerSecond:0.0} tx/s | {s.TransactionsPerSecond / line.LimitPerSecond:0.00} | {s.TransactionsPerSecond / line.FormulaLimitPerSecond:0.00} | {(s.DeadDevice is null ? "—" : s.DeadDeviceTimeouts.ToString("N0", System.Globalization.CultureInfo.InvariantCulture))} | {s.HealthyFailures:N0} | {s.GatewayCpu:P1} |");
            }
        }
    }

    private static void WriteTcp(StringBuilder text, TcpResults tcp)
    {
        void Line(FormattableString line) => text.AppendLine(Targets.Invariant(line));
        Line($"");
        Line($"### Modbus TCP at scale");
        Line($"");
        Line($"{tcp.Devices} firmware-sim devices on {tcp.Buses} Modbus TCP endpoints (up to 16 units behind each, `maxRequestsInFlight` 4,");
        Line($"timeout 1 s), polled with the shipped profiles at their own intervals. Window: {tcp.Seconds:0} s after {tcp.WarmupSeconds:0} s of warm-up.");
        Line($"Registers are the 16-bit words of holding and input register reads; coil and discrete-input reads count as");
        Line($"reads only. The gateway's metrics count polls; a poll reads the point groups that are due, so reads and registers");
        Line($"done are the schedule's, scaled by the share of the asked polls that were done and answered.");
        Line($"");
        Line($"| kind | profile | devices | poll intervals (reads due) | polls/s asked | polls/s done | reads/s asked | reads/s done | registers/s asked | registers/s done | failed polls |");
        Line($"| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var k in tcp.Kinds)
        {
            Line($"| {k.Kind} | `{k.Profile}` | {k.Devices} | {k.Schedule} | {k.PollsPerSecondAsked:0.0} | {k.PollsPerSecond:0.0} | {k.TransactionsPerSecondAsked:0.0} | {k.TransactionsPerSecond:0.0} | {k.RegistersPerSecondAsked:N0} | {k.RegistersPerSecond:N0} | {k.Failures:N0} |");
        }

        Line($"| **all** | | **{tcp.Devices}** | | **{tcp.Kinds.Sum(k => k.PollsPerSecondAsked):0.0}** | **{tcp.Kinds.Sum(k => k.PollsPerSecond):0.0}** | **{tcp.Kinds.Sum(k => k.TransactionsPerSecondAsked):0.0}** | **{tcp.TransactionsPerSecond:0.0}** | **{tcp.RegistersPerSecondAsked:N0}** | **{tcp.RegistersPerSecond:N0}** | **{tcp.Kinds.Sum(k => k.Failures):N0}** |");
        Line($"");
        Line($"CPU over the window, as a share of one core (utime + stime from /proc/PID/stat): gateway **{tcp.GatewayCpu:P1}**,");
        Line($"simulator {tcp.SimulatorCpu:P1}, Mosquitto {tcp.BrokerCpu:P1}. The gateway published {tcp.Published:N0} messages in the window");
        Line($"({tcp.Published / tcp.Seconds:0.0}/s, QoS 1, through its disk outbox) and its VmRSS at the end was {Targets.Megabytes(tcp.GatewayRssKilobytes)}.");
    }

    private static void WriteFootprint(StringBuilder text, IReadOnlyList<FootprintResults> footprints)
    {
        void Line(FormattableString line) => text.AppendLine(Targets.Invariant(line));
        Line($"");
        Line($"### Footprint");
        Line($"");
        Line($"The gateway polls the simulated sample estate (`facilities-sim run sample-estate` and");
        Line($"`gateway/Facilities.Gateway/sites/sample-estate.json`: 72 devices on TCP, RTU-over-TCP and two serial lines) and");
        Line($"publishes to Mosquitto; VmRSS and VmHWM are read from /proc/PID/status every {footprints[0].IntervalSeconds:0} s. Under qemu-user the");
        Line($"process is qemu-aarch64-static running the arm64 build: its RSS is the emulator's, which includes qemu itself and");
        Line($"its cache of translated code, so it says little about a Raspberry Pi's figure.");
        Line($"");
        var header = new StringBuilder("| |");
        var rule = new StringBuilder("| --- |");
        foreach (var f in footprints)
        {
            header.Append(Targets.Invariant($" {f.Label} |"));
            rule.Append(" ---: |");
        }

        text.AppendLine(header.ToString());
        text.AppendLine(rule.ToString());
        void Row(string name, Func<FootprintResults, string> value) =>
            text.AppendLine($"| {name} |{string.Concat(footprints.Select(f => $" {value(f)} |"))}");
        Row("how it ran", f => f.Launch);
        Row("duration", f => Targets.Invariant($"{Targets.Minutes(f)} min ({f.Samples.Count} samples)"));
        Row("VmRSS at the first sample", f => Targets.Megabytes(f.Samples[0].RssKilobytes));
        Row("VmRSS, largest", f => Targets.Megabytes(Targets.MaxRss(f)));
        Row("VmRSS at the end", f => Targets.Megabytes(f.Samples[^1].RssKilobytes));
        Row("VmHWM at the end", f => Targets.Megabytes(f.Samples[^1].PeakRssKilobytes));
        Row("VmRSS at the end: anonymous (GC heap, malloc, stacks)", f => Targets.Megabytes(f.Samples[^1].AnonymousKilobytes));
        Row("VmRSS at the end: mapped files (the executable, libraries)", f => Targets.Megabytes(f.Samples[^1].FileKilobytes));
        Row("VmRSS at the end: shared memory", f => Targets.Megabytes(f.Samples[^1].SharedKilobytes));
        Row("growth (last quarter − second quarter)", f => Targets.Invariant($"{Targets.Growth(f) / 1024:+0.0;-0.0;0.0} MiB"));
        Row("trend after the first quarter (least squares)", f => Targets.Invariant($"{Targets.TrendPerHour(f) / 1024:+0.0;-0.0;0.0} MiB per hour"));
        Row("CPU, whole run", f => Targets.Invariant($"{f.GatewayCpu:P1} of a core"));
        Line($"");
        Line($"VmRSS every minute:");
        Line($"");
        header = new StringBuilder("| minute |");
        rule = new StringBuilder("| ---: |");
        foreach (var f in footprints)
        {
            header.Append(Targets.Invariant($" {f.Label} |"));
            rule.Append(" ---: |");
        }

        text.AppendLine(header.ToString());
        text.AppendLine(rule.ToString());
        var minutes = (int)Math.Floor(footprints.Max(f => f.Samples[^1].Seconds) / 60 + 1e-9);
        for (var minute = 1; minute <= Math.Max(1, minutes); minute++)
        {
            var at = minute * 60.0;
            text.AppendLine(Targets.Invariant($"| {minute} |") + string.Concat(footprints.Select(f =>
                f.Samples.LastOrDefault(s => s.Seconds <= at + 1) is { } s ? $" {Targets.Megabytes(s.RssKilobytes)} |" : " — |")));
        }
    }

    private const string HowToRead = """

        ### How to read these figures

        - **Who is measured.** The gateway runs as it is deployed: the built `facilities-gateway` in its own process with
          its systemd unit's environment, against firmware-sim and Mosquitto in processes of their own, so its CPU and
          memory are its own. Its polls and failures come from its Prometheus endpoint, scraped as each window opens and
          closes (the footprint run turns the endpoint off).
        - **Serial limit and turnaround.** The formula counts wire time and the two t3.5 silences only. Real devices,
          and the simulator, take time to answer beyond that; the reference master measures it on the same line, so
          the verdict compares the gateway with what any master could get from these devices. The ratio to the bare
          formula is shown beside it.
        - **One dead device.** It goes silent as the window opens, so the window holds its detection: each poll of it
          costs the bus timeout (500 ms) and a drain of the line (about 50 ms of silence) before the next request.
          From its first failure the gateway waits twice what the failed poll held the line (or the interval, if
          longer) and doubles the wait with every further failure, up to 5 minutes (docs/gateway.md, Polling): polls
          at about 0, 1.5, 4, 8.5, 17 and 33.5 s, so 4 fall in a 15 s window and 6 in a minute. A longer window
          therefore shows a higher ratio; in the steady state the device costs one timeout every 5 minutes.
        - **Timers on Linux.** .NET timers (`Task.Delay`) run on the kernel's coarse clock, 4 ms steps with this
          kernel's CONFIG_HZ=250: a 1.75 ms `Task.Delay` ends anywhere from 1 to 4 ms later. The RTU line's t3.5
          guard waits on Facilities.Modbus `PreciseDelay` instead: one background thread for the whole process that
          sleeps in 1 ms steps and spins only the last fraction of a millisecond (waits beyond 5 ms start on a
          timer), so the guard is never early and never a frame's time late, and no thread-pool thread is held.
          The simulator serves its lines with the same code, so its turnaround benefits too.
        - **System.IO.Ports on Linux** runs one I/O thread per port that polls the port every millisecond; a write
          waits for the current poll to end (up to 1 ms). That, and the thread hand-offs of each completion, are most
          of what is left between the gateway and the reference master. The polling, and the .NET thread pool's
          workers spinning while they wait for the next completion, are also most of the gateway's CPU on serial lines.
        - **Footprint.** The gateway is measured as it is deployed: published with Native AOT, one executable with
          its code compiled ahead of time, so no JIT, no runtime images to map and no compiled code in memory
          beside them. The table splits VmRSS into anonymous memory (GC heap, malloc, stacks), mapped files (the
          executable and the C libraries, shared and clean) and shared memory. The systemd unit's GC settings (a
          1 MiB gen0 budget and 1 MiB regions, docs/deploy-raspberry-pi.md, Memory) apply to the AOT runtime too.
          The same gateway built for the JIT (framework-dependent) used about 64 MiB on this estate.
        - **qemu-user** translates arm64 code on the fly; its RSS holds the emulator and the translation cache besides
          the gateway's own memory. The arm64 figure shows that the build runs and whether it stays flat, not what a
          Raspberry Pi would report.
        - **Noise.** This is a shared virtual machine with 2 cores; the load averages above show what else ran. The
          serial figures depend on timing and suffer most from a busy neighbour.
        """;
}

using System.Globalization;
using System.Text;

namespace Facilities.Tests.AlertQuality;

/// <summary>How one labelled fault went: when its rule paged (null: never), whether within its deadline, and how many pages its device sent meanwhile.</summary>
internal sealed record FaultOutcome(LabelledFault Fault, TimeSpan? Deadline, TimeSpan? Latency, int Pages)
{
    /// <summary>Paged by its rule within the deadline (a quiet window is caught when nothing paged).</summary>
    public bool Caught => Fault.Kind.Rule.Length == 0 ? Pages == 0 : Latency is { } latency && Deadline is { } deadline && latency <= deadline;
}

/// <summary>One rule's line of the report.</summary>
internal sealed record RuleQuality(
    string Rule, string Severity, int Faults, int Caught, int FalseAlerts, TimeSpan? P50, TimeSpan? P99, TimeSpan? Deadline, double? PagesPerIncident)
{
    public int Missed => Faults - Caught;
}

/// <summary>
/// Scores a month: a page (an unsuppressed firing) is <b>false</b> when no labelled fault of its device covers its time
/// (from the fault's start to its end plus the grace); a fault is <b>missed</b> when its rule did not page within its
/// deadline. Quiet windows (inspection mode) explain nothing: a page in one is false.
/// </summary>
internal sealed record AlertQualityScore(MonthRun Run, IReadOnlyList<RuleQuality> Rules, IReadOnlyList<FaultOutcome> Faults, IReadOnlyList<MonthAlert> FalseAlerts)
{
    public IEnumerable<FaultOutcome> Missed => Faults.Where(f => !f.Caught);

    public static AlertQualityScore Of(MonthRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var grace = run.Options.Grace;
        var pages = run.Alerts.Where(a => !a.Suppressed).ToList();
        bool Covers(LabelledFault fault, MonthAlert alert) => fault.Device == alert.Device && fault.Start <= alert.At && alert.At <= fault.End + grace;
        var falseAlerts = pages.Where(a => !run.Faults.Any(f => f.Kind.Rule.Length > 0 && Covers(f, a))).ToList();
        var outcomes = run.Faults.Select(f =>
        {
            var rule = run.Rules.Defaults.FirstOrDefault(r => r.Id == f.Kind.Rule);
            var deadline = FaultCatalogue.Deadline(f.Kind, rule, run.Options.Allowance, run.Rules.Settings(run.Site, f.Device, f.Kind.Kind));
            var first = pages.FirstOrDefault(a => a.Rule == f.Kind.Rule && Covers(f, a));
            return new FaultOutcome(f, deadline, first is null ? null : first.At - f.Start, pages.Count(a => Covers(f, a)));
        }).ToList();

        var ids = run.Rules.Defaults.Select(r => r.Id).Concat(outcomes.Select(o => o.Fault.Kind.Rule).Where(r => r.Length > 0)).Distinct().ToList();
        var rules = ids.Select(id =>
        {
            var mine = outcomes.Where(o => o.Fault.Kind.Rule == id).ToList();
            var latencies = mine.Where(o => o.Latency is not null).Select(o => o.Latency!.Value).Order().ToList();
            return new RuleQuality(id, run.Rules.Defaults.FirstOrDefault(r => r.Id == id)?.Severity ?? "(no such rule)", mine.Count, mine.Count(o => o.Caught),
                falseAlerts.Count(a => a.Rule == id), Percentile(latencies, 0.5), Percentile(latencies, 0.99),
                mine.Select(o => o.Deadline).Max(), mine.Count == 0 ? null : mine.Average(o => o.Pages));
        }).ToList();
        return new AlertQualityScore(run, rules, outcomes, falseAlerts);
    }

    private static TimeSpan? Percentile(List<TimeSpan> sorted, double p) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static string Duration(TimeSpan? span) => span switch
    {
        null => "–",
        { TotalSeconds: < 90 } s => string.Create(CultureInfo.InvariantCulture, $"{s.TotalSeconds:0} s"),
        { TotalHours: < 2 } s => string.Create(CultureInfo.InvariantCulture, $"{s.TotalMinutes:0.#} min"),
        var s => string.Create(CultureInfo.InvariantCulture, $"{s.Value.TotalHours:0.#} h"),
    };

    private static string Local(DateTimeOffset time) => time.ToOffset(TimeSpan.FromHours(8)).ToString("MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>docs/alert-quality.md: the run, the targets, the per-rule table and every false and missed alert.</summary>
    public string Markdown(string command)
    {
        var run = Run;
        var o = run.Options;
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        var injected = Faults.Count(f => !f.Fault.Natural);
        var alerting = Faults.Where(f => f.Fault.Kind.Rule.Length > 0).ToList();
        var caught = alerting.Count(f => f.Caught);
        Line($"# Alert quality: a labelled month of the sample estate");
        Line($"");
        Line($"How often do the shipped rules cry wolf, and how often do they sleep through a fault? The sample estate's 72");
        Line($"device models (firmware-sim) run {o.Days} simulated days in virtual time — January in Beijing (outdoor −12…+6 °C");
        Line($"with a daily cycle, driving the boilers' heating curves), residents calling the elevators by the hour, evening");
        Line($"charging peaks in the sheds, the AEDs' daily self-tests — and a seeded, labelled schedule injects every fault of");
        Line($"every kind {o.Repeats} times through the models' own fault injection. A virtual gateway reads the registers through the");
        Line($"gateway's profile decode and change filter (deadband, heartbeat) and its offline logic; the messages go through");
        Line($"the cloud's rules and alert lifecycle in virtual time (`AlertReplay`, the same driver as `facilities-cloud rules test`).");
        Line($"");
        Line($"Generated on {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC by `{command}` (seed {o.Seed}); the same command and seed");
        Line($"reproduce it exactly. The CI test `AlertQualityMonthTests` runs 3 days and fails on any false or missed alert of a rule");
        Line($"not on its list of known-bad rules (each with its reason; the list may only shrink).");
        Line($"");
        Line($"## Targets");
        Line($"");
        Line($"| target | result | |");
        Line($"| --- | --- | --- |");
        Line($"| 0 false alerts (pages with no labelled fault on the device) | {FalseAlerts.Count} | {(FalseAlerts.Count == 0 ? "pass" : "**FAIL**")} |");
        Line($"| 100 % of faults paged within their deadline | {caught} of {alerting.Count} ({(alerting.Count == 0 ? 100 : 100.0 * caught / alerting.Count):0.#} %) | {(caught == alerting.Count ? "pass" : "**FAIL**")} |");
        Line($"| quiet windows (inspection mode) page nobody | {Faults.Count(f => f.Fault.Kind.Rule.Length == 0 && f.Caught)} of {Faults.Count(f => f.Fault.Kind.Rule.Length == 0)} quiet | {(Faults.Where(f => f.Fault.Kind.Rule.Length == 0).All(f => f.Caught) ? "pass" : "**FAIL**")} |");
        Line($"| the run takes under 2 minutes | {run.Elapsed.TotalSeconds:0} s, {run.CpuTime.TotalSeconds:0} s of processor time on {Environment.ProcessorCount} cores, load average {run.LoadAverage} at the start | {(run.Elapsed < TimeSpan.FromMinutes(2) ? "pass" : "**FAIL**")} |");
        Line($"");
        Line($"Run: {run.Devices} devices, {o.Days} days from {Local(o.Start)} (UTC+8), {injected} injected faults and {Faults.Count(f => f.Fault.Natural)} natural conditions");
        Line($"labelled, {run.Polls:N0} polls (every {Duration(o.PollInterval)}), {run.Messages:N0} messages to the cloud, sweep every {Duration(o.SweepInterval)},");
        Line($"{run.Alerts.Count(a => !a.Suppressed)} pages and {run.Alerts.Count(a => a.Suppressed)} suppressed firings; {Environment.ProcessorCount} cores.");
        Line($"");
        Line($"## Per rule");
        Line($"");
        Line($"Faults: labelled faults this rule must catch. Caught: paged within the deadline (the rule's own `for`/`after`,");
        Line($"what the equipment takes, plus {Duration(o.Allowance)} for polling and the sweep). Latency: injection to page. Pages per");
        Line($"incident: pages of any rule on the device during the fault (its end plus {Duration(o.Grace)} included); one is ideal, two when a");
        Line($"fault rightly trips two rules.");
        Line($"");
        Line($"| rule | severity | faults | caught | missed | false alerts | latency p50 | latency p99 | deadline | pages per incident |");
        Line($"| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var rule in Rules)
        {
            var missed = rule.Missed == 0 ? "0" : $"**{rule.Missed}**";
            var falseCount = rule.FalseAlerts == 0 ? "0" : $"**{rule.FalseAlerts}**";
            var pages = rule.PagesPerIncident is { } p ? p.ToString("0.0", CultureInfo.InvariantCulture) : "–";
            Line($"| `{rule.Rule}` | {rule.Severity} | {rule.Faults} | {rule.Caught} | {missed} | {falseCount} | {Duration(rule.P50)} | {Duration(rule.P99)} | {Duration(rule.Deadline)} | {pages} |");
        }

        var uncovered = Rules.Where(r => r.Faults == 0).ToList();
        if (uncovered.Count > 0)
        {
            Line($"");
            Line($"Rules no labelled fault exercises in this run, and why:");
            Line($"");
            foreach (var rule in uncovered)
            {
                Line($"- `{rule.Rule}`: {FaultCatalogue.Uncovered.GetValueOrDefault(rule.Rule, "**no fault of the catalogue triggers it** (add one to FaultCatalogue)")}.");
            }
        }

        Line($"");
        Line($"## False alerts");
        Line($"");
        if (FalseAlerts.Count == 0)
        {
            Line($"None.");
        }
        else
        {
            Line($"| time (UTC+8) | device | rule | detail |");
            Line($"| --- | --- | --- | --- |");
            foreach (var alert in FalseAlerts.Take(60))
            {
                Line($"| {Local(alert.At)} | {alert.Device} | `{alert.Rule}` | {alert.Detail?.Replace("|", "\\|", StringComparison.Ordinal)} |");
            }

            if (FalseAlerts.Count > 60)
            {
                Line($"");
                Line($"… and {FalseAlerts.Count - 60} more ({string.Join(", ", FalseAlerts.GroupBy(a => a.Rule).Select(g => $"`{g.Key}` {g.Count()}"))}).");
            }
        }

        Line($"");
        Line($"## Missed faults");
        Line($"");
        var missedFaults = Missed.ToList();
        if (missedFaults.Count == 0)
        {
            Line($"None.");
        }
        else
        {
            Line($"| fault | device | from (UTC+8) | for | rule | deadline | paged after | what the rule did meanwhile | pages on the device meanwhile |");
            Line($"| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            foreach (var miss in missedFaults.Take(60))
            {
                var f = miss.Fault;
                var others = Run.Alerts.Where(a => !a.Suppressed && a.Device == f.Device && f.Start <= a.At && a.At <= f.End + o.Grace).Select(a => $"`{a.Rule}`").Distinct();
                var pendings = Run.Pending.Where(p => p.Device == f.Device && p.Rule == f.Kind.Rule && f.Start <= p.At && p.At <= f.End + o.Grace).ToList();
                var opened = pendings.Count(p => p.Opened);
                var did = opened == 0 ? "its condition never held"
                    : string.Create(CultureInfo.InvariantCulture, $"pending {opened} times, discarded {pendings.Count(p => !p.Opened)} times before its `for` ran out");
                Line($"| {f.Fault} | {f.Device} | {Local(f.Start)} | {Duration(f.End - f.Start)} | `{(f.Kind.Rule.Length == 0 ? "(quiet)" : f.Kind.Rule)}` | {Duration(miss.Deadline)} | {(miss.Latency is { } l ? Duration(l) : "never")} | {did} | {string.Join(", ", others)} |");
            }
        }

        Line($"");
        Line($"## How it is measured, and what it does not simulate");
        Line($"");
        Line($"- Sources: `tests/Shared/AlertQuality/` (schedule, month runner, scoring) and `firmware-sim/Facilities.EstateSimulation/` (the estate in virtual time: weather, traffic, the virtual gateway; the demo's backfill runs it too), run by `tests/Facilities.Cloud.Benchmarks/run-alert-quality.sh`");
        Line($"  and, for 3 days, by `tests/Facilities.Cloud.Tests/AlertQuality/AlertQualityMonthTests.cs`.");
        Line($"- Every device is polled every {Duration(o.PollInterval)} (the real gateway polls elevators every second and AED doors every 2 s); the");
        Line($"  sweeper runs every {Duration(o.SweepInterval)} (the cloud's default is 5 s) and re-evaluates only what time alone can change, which decides");
        Line($"  exactly as re-evaluating every rule (a unit test holds the two to the same transitions).");
        Line($"- Each device runs the month with its own replay of the alerting, the devices in parallel on the machine's cores: the");
        Line($"  cloud's alerts, their `for`, flapping and the sweeper's verdicts are each about one device, so this decides exactly as");
        Line($"  one replay fed every device's messages in time order; the pages are merged in time order.");
        Line($"- Faults are spaced at least two hours apart on a device, so each page can be attributed; a fault's window runs from");
        Line($"  its injection to its end plus {Duration(o.Grace)} (the equipment recovering). Expiry dates the estate reaches on its own (an AED's");
        Line($"  pads) are labelled as natural conditions: their alert is true, and must come.");
        Line($"- Not simulated: Modbus timing and transport (the registers are read directly; a dead, slow or corrupting link fails the");
        Line($"  poll as the gateway's poller would), MQTT, the database, gateway outages (`gateway.offline`), people acknowledging.");
        return text.ToString();
    }

    /// <summary>The one line docs/benchmarks.md carries for the month.</summary>
    public string SummaryLine(string command)
    {
        var alerting = Faults.Where(f => f.Fault.Kind.Rule.Length > 0).ToList();
        var caught = alerting.Count(f => f.Caught);
        return string.Create(CultureInfo.InvariantCulture,
            $"Alert quality (`{command}`, {DateTimeOffset.UtcNow:yyyy-MM-dd}): {Run.Options.Days} simulated days of the {Run.Devices}-device sample estate in {Run.Elapsed.TotalSeconds:0} s " +
            $"({Run.CpuTime.TotalSeconds:0} s of processor time on {Environment.ProcessorCount} cores, load average {Run.LoadAverage} at the start); " +
            $"{FalseAlerts.Count} false alerts (target 0), {caught} of {alerting.Count} faults paged within their deadline (target all), " +
            $"details per rule in [alert-quality.md](alert-quality.md).");
    }
}

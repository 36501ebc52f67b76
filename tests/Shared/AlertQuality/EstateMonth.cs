using System.Diagnostics;
using System.Text.Json;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.EstateSimulation;
using Facilities.FirmwareSim.Community;
using Facilities.FirmwareSim.Devices.ChargerShed;
using Facilities.Gateway.Site;

namespace Facilities.Tests.AlertQuality;

/// <summary>How to run the month (the benchmark runs 30 days, CI 3).</summary>
internal sealed record MonthOptions
{
    /// <summary>The repository root (community, gateway site and profiles, rules are read from the checkout).</summary>
    public required string Root { get; init; }

    public int Days { get; init; } = 30;

    public int Seed { get; init; } = 20260105;

    /// <summary>00:00 on 5 January in Beijing.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 1, 4, 16, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Every device is polled this often (the gateway polls elevators every second and AED doors every 2 s; a month of
    /// that does not fit into two minutes, so latencies include up to this much polling delay).
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The alert sweeper's interval (the cloud's is 5 s).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times each fault of each kind is injected.</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>After a fault ends, alerts on its device still belong to it for this long (the equipment recovering).</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Added to each rule's own wait for its deadline: the gateway's offline detection (three failed polls with
    /// backoff, four poll intervals in all) and one sweep, at least 2 minutes.
    /// </summary>
    public TimeSpan Allowance => Max(TimeSpan.FromMinutes(2), (4 * PollInterval) + SweepInterval);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Rule file; default the shipped cloud/Facilities.Cloud/rulesets/default-rules.json.</summary>
    public string? RulesFile { get; init; }
}

/// <summary>One page (an unsuppressed firing notice) or suppressed firing the month's alerting produced.</summary>
internal sealed record MonthAlert(DateTimeOffset At, string Device, string Rule, string Severity, bool Suppressed, string? Detail);

/// <summary>A rule's condition began to hold (a pending alert opened) or stopped before its <c>for</c> ran out (discarded).</summary>
internal sealed record PendingChange(DateTimeOffset At, string Device, string Rule, bool Opened);

/// <summary>What a month run produced, before scoring.</summary>
internal sealed record MonthRun(
    MonthOptions Options, RuleSet Rules, IReadOnlyList<LabelledFault> Faults, IReadOnlyList<MonthAlert> Alerts, int Devices, long Polls, long Messages, TimeSpan Elapsed)
{
    public DateTimeOffset End => Options.Start + TimeSpan.FromDays(Options.Days);

    /// <summary>The estate's site (each device's parameters are resolved in it).</summary>
    public string Site { get; init; } = "";

    /// <summary>Every pending alert opened or discarded (why a rule with <c>for</c> did not fire).</summary>
    public IReadOnlyList<PendingChange> Pending { get; init; } = [];

    /// <summary>Processor time the run used (all threads): what the run costs on an idle machine with one core.</summary>
    public TimeSpan CpuTime { get; init; }

    /// <summary>The machine's one-minute load average when the run started (other work slows a run down).</summary>
    public string LoadAverage { get; init; } = "unknown";
}

/// <summary>
/// The alert-quality month: the sample estate's device models (firmware-sim) run in virtual time with January weather
/// for Beijing, traffic by hour and evening charging; a virtual gateway reads their registers through the gateway's own
/// profile decode and change filter (deadband, heartbeat) and its offline logic; the messages go through the cloud's
/// rules and alert lifecycle (<see cref="AlertReplay"/>). A seeded, labelled schedule injects every fault of every kind
/// through the models' fault injection. Devices are independent all the way through (the cloud's alerts are per device
/// and rule), so each device runs the month with its own replay, in parallel, and the alerts are merged in time order.
/// </summary>
internal static class EstateMonth
{
    private static readonly JsonSerializerOptions OptionsJson = new(JsonSerializerDefaults.Web);

    public static MonthRun Run(MonthOptions options, Func<RuleDefinition[], RuleDefinition[]>? adjustRules = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
        var rulesFile = options.RulesFile ?? Path.Combine(options.Root, "cloud", "Facilities.Cloud", "rulesets", "default-rules.json");
        // The rule file as the cloud loads it: its rules and the parameters they refer to (maxSupply, noxLimit, …),
        // and the sample estate's site file as the demo's cloud reads it (boiler-2 heats floors).
        var loaded = Facilities.Cloud.Rules.RuleFiles.Load(
            new Facilities.Cloud.Rules.RulesOptions { File = rulesFile, SiteDirectory = Path.Combine(options.Root, "demo", "Facilities.Demo", "rules-sites") }, options.Root);
        var community = CommunityLoader.Load(Path.Combine(options.Root, "firmware-sim", "Facilities.FirmwareSim", "communities", "sample-estate.json"));
        var site = SiteLoader.Load(Path.Combine(options.Root, "gateway", "Facilities.Gateway", "sites", "sample-estate.json"),
            Path.Combine(options.Root, "gateway", "Facilities.Gateway", "profiles"));
        var ruleDefinitions = loaded.Defaults.ToArray();
        var rules = new RuleSet(adjustRules?.Invoke(ruleDefinitions) ?? ruleDefinitions, null, loaded.Parameters,
            new Dictionary<string, SiteParameters>(StringComparer.Ordinal) { [site.File.Site] = loaded.Site(site.File.Site) });
        var devices = EstateDevices.Create(community, site, new EstateOptions { Start = options.Start, PollInterval = options.PollInterval, Seed = options.Seed });
        var end = options.Start + TimeSpan.FromDays(options.Days);

        TimeSpan? Deadline(FaultKind kind) => FaultCatalogue.Deadline(kind, rules.Find(site.File.Site, kind.Rule), options.Allowance, rules.Settings(site.File.Site, "", kind.Kind));
        var natural = NaturalConditions(devices, rules, site.File.Site, options.Start, end);
        var faults = FaultSchedule.Build([.. devices.Select(d => (d.Id, d.Model.Kind, d.Model is ChargerShedModel shed ? shed.PortCount : 0))],
            Deadline, options.Start, end, options.Repeats, options.Seed, natural);
        foreach (var fault in faults.Where(f => !f.Natural))
        {
            var device = devices.Single(d => d.Id == fault.Device);
            device.Actions.Add((fault.Start, fault.Fault, true));
            device.Actions.Add((fault.End, fault.Fault, false));
        }

        foreach (var device in devices)
        {
            device.Actions.Sort((a, b) => a.At.CompareTo(b.At));
        }

        // Devices are independent all the way through the alerting (each alert, its "for", its flapping count and the
        // sweeper's verdicts concern one device), so each device runs the month with its own replay of the cloud's
        // alerting, in parallel: the same transitions, at the same virtual times, as one replay fed every device's
        // messages in time order. Merged afterwards in time order, a device before the next at equal times.
        var months = new DeviceMonth[devices.Count];
        Parallel.For(0, devices.Count, i => months[i] = new DeviceMonth(devices[i]).Run(rules, options, end));
        var alerts = months.SelectMany((d, i) => d.Alerts.Select(a => (Alert: a, Device: i))).OrderBy(a => a.Alert.At).ThenBy(a => a.Device).Select(a => a.Alert).ToList();
        var pending = months.SelectMany((d, i) => d.Pending.Select(p => (Change: p, Device: i))).OrderBy(p => p.Change.At).ThenBy(p => p.Device).Select(p => p.Change).ToList();
        var messages = months.Sum(d => d.Messages);

        return new MonthRun(options, rules, faults, alerts, devices.Count, devices.Sum(d => d.Polls), messages, watch.Elapsed)
        {
            Site = site.File.Site,
            Pending = pending,
            CpuTime = Process.GetCurrentProcess().TotalProcessorTime - cpu, LoadAverage = load,
        };
    }

    /// <summary>Expiry dates the estate reaches on its own within the run (an AED's pads bought long ago), labelled as true conditions.</summary>
    private static List<LabelledFault> NaturalConditions(List<SimDevice> devices, RuleSet rules, string site, DateTimeOffset start, DateTimeOffset end)
    {
        var natural = new List<LabelledFault>();
        var id = 1;
        foreach (var device in devices.Where(d => d.Model.Kind == "aed-cabinet"))
        {
            var values = device.Model.Values();
            foreach (var rule in rules.For(site, device.Model.Kind).Where(r => r.Type == RuleType.Expiry && r.Point is not null && values.ContainsKey(r.Point)))
            {
                if (RuleEvaluator.ParseDate(values[rule.Point!], rule.DateFormat) is { } date && date - TimeSpan.FromDays(rule.DaysAhead ?? 30) is var due && due < end)
                {
                    var kind = FaultCatalogue.All.First(f => f.Rule == rule.Id);
                    natural.Add(new LabelledFault(id++, device.Id, kind, $"natural: {rule.Point} {values[rule.Point!]:0}", due < start ? start : due, end, Natural: true));
                }
            }
        }

        return natural;
    }

    /// <summary>One device's month through its own replay of the cloud's alerting: the pages, pending changes and messages it produced.</summary>
    private sealed class DeviceMonth(SimDevice device)
    {
        /// <summary>Messages the virtual gateway sent for this device.</summary>
        public long Messages { get; private set; }

        /// <summary>The pages and suppressed firings this device's alerting produced, in order.</summary>
        public List<MonthAlert> Alerts { get; } = [];

        /// <summary>This device's pending alerts opened and discarded, in order.</summary>
        public List<PendingChange> Pending { get; } = [];

        /// <summary>
        /// Runs the device through the whole month, an hour at a time: the model and the virtual gateway, then the hour's
        /// messages through its own replay of the cloud's alerting (rules, lifecycle, sweeps every sweep interval).
        /// </summary>
        public DeviceMonth Run(RuleSet rules, MonthOptions options, DateTimeOffset end)
        {
            var replay = new AlertReplay(rules, new AlertLifecycle(new FlapPolicy(3, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(15))), options.Start, options.SweepInterval)
            {
                SweepTimeDrivenOnly = true,
                Transitioned = t =>
                {
                    foreach (var fired in t.Transition.Events.Where(e => e.Action == AlertAction.Fired))
                    {
                        Alerts.Add(new MonthAlert(t.At, t.Device.Device, t.Rule.Id, t.Rule.Severity, fired.Notice is null, fired.Detail));
                    }

                    if ((t.Transition.Change is AlertChange.Opened && t.Transition.Next?.State == AlertState.Pending) || t.Transition.Change is AlertChange.Discarded)
                    {
                        Pending.Add(new PendingChange(t.At, t.Device.Device, t.Rule.Id, t.Transition.Change == AlertChange.Opened));
                    }
                },
            };
            for (var from = options.Start; from < end; from += TimeSpan.FromHours(1))
            {
                var to = from + TimeSpan.FromHours(1) < end ? from + TimeSpan.FromHours(1) : end;
                foreach (var message in device.Simulate(from, to, options.PollInterval))
                {
                    Messages++;
                    if (message.Online is { } online)
                    {
                        replay.ReceiveState(message.Device, online, message.Reason, message.At);
                    }
                    else
                    {
                        replay.Receive(message.Device, message.Readings, message.At);
                    }
                }

                replay.AdvanceTo(to);
            }

            return this;
        }
    }
}

using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Domain.Alerts;

/// <summary>A device as the replay knows it: where it is and what kind of equipment it is.</summary>
public sealed record ReplayDevice(string Site, string Device, string Kind, string Gateway = "gw", string Building = "");

/// <summary>One value of one point in a message (a label when the device's profile names the value).</summary>
public sealed record ReplayReading(string Point, double Value, string? Label = null);

/// <summary>One alert transition the replay made: when, on which device, by which rule.</summary>
public sealed record ReplayedTransition(DateTimeOffset At, ReplayDevice Device, RuleDefinition Rule, AlertTransition Transition);

/// <summary>
/// The cloud's alerting in virtual time, without a database or a clock: device messages and the sweeper's ticks go
/// through <see cref="RuleEvaluator"/> and <see cref="AlertLifecycle"/> exactly as the host's AlertEngine and
/// AlertSweeper feed them, so a day of readings is decided in milliseconds. It drives <c>facilities-cloud rules
/// test</c> and the alert-quality month (docs/alert-quality.md).
/// <list type="bullet">
/// <item>A message is heard when it is sampled (no transport delay); its values move the device's points forward in
/// sample time, each keeping the one before (rate rules). Like the engine, a message evaluates only the rules that
/// read one of its points (plus the offline and silence rules); a link-state message evaluates every rule; a message
/// no rule reads evaluates nothing.</item>
/// <item><see cref="AdvanceTo"/> runs the sweeper's ticks, every <see cref="SweepInterval"/> from the start, which
/// evaluate every rule of every device heard of: "for" running out, silence, ages and expiry dates.</item>
/// <item>Rules see the device's parameters as the rule set resolves them (kind defaults, site values, the device's own)
/// and, for windowed rules, the samples of the window, as the engine keeps them.</item>
/// <item>The gateway is always up and no maintenance window is open (neither is simulated); flapping counts the
/// rule's firings on the device within the window, as the alert store does.</item>
/// </list>
/// Not thread-safe: one replay is one timeline.
/// </summary>
public sealed class AlertReplay
{
    private readonly RuleSet _rules;
    private readonly AlertLifecycle _lifecycle;
    private readonly Dictionary<(string Site, string Device), DeviceState> _devices = [];
    private readonly Dictionary<(string Site, string Kind), KindRules> _kinds = [];
    private readonly Dictionary<(string Site, string Device, string Rule), Alert> _latest = [];
    private readonly Dictionary<(string Site, string Kind), RuleDefinition[]> _timeDriven = [];
    private long _nextId = 1;

    public AlertReplay(RuleSet rules, AlertLifecycle lifecycle, DateTimeOffset start, TimeSpan sweepInterval)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(lifecycle);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sweepInterval, TimeSpan.Zero);
        _rules = rules;
        _lifecycle = lifecycle;
        SweepInterval = sweepInterval;
        Now = start;
        NextSweep = start + sweepInterval;
    }

    /// <summary>How often the sweeper re-evaluates every device (the host's <c>Rules:SweepInterval</c>).</summary>
    public TimeSpan SweepInterval { get; }

    /// <summary>The virtual time the replay has reached.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>When the next sweep runs.</summary>
    public DateTimeOffset NextSweep { get; private set; }

    /// <summary>
    /// When true, a sweep evaluates only what time alone can change — silence, ages and expiry dates, offline rules,
    /// windowed aggregates, and rules with an open alert (a pending <c>for</c>, a flapping hold) — instead of every
    /// rule. The outcome is the same: every other rule was evaluated on the device's current facts by the message that
    /// last changed them, and the same facts give the same verdict. For long simulations (the alert-quality month); the default evaluates
    /// every rule, as the host's sweeper does.
    /// </summary>
    public bool SweepTimeDrivenOnly { get; init; }

    /// <summary>Called for every transition that changed an alert, in order.</summary>
    public Action<ReplayedTransition>? Transitioned { get; set; }

    /// <summary>The alert open (pending, firing or acknowledged) for the device and rule, or null.</summary>
    public Alert? Open(string site, string device, string ruleId) =>
        _devices.GetValueOrDefault((site, device))?.Open(ruleId);

    /// <summary>The newest alert of the device and rule, resolved or not; null when the rule never fired or is pending-discarded.</summary>
    public Alert? Latest(string site, string device, string ruleId) => _latest.GetValueOrDefault((site, device, ruleId));

    /// <summary>Every alert open now, by device and rule.</summary>
    public IEnumerable<(string Site, string Device, string Rule, Alert Alert)> OpenAlerts =>
        _latest.Where(a => a.Value.State != AlertState.Resolved).Select(a => (a.Key.Site, a.Key.Device, a.Key.Rule, a.Value));

    /// <summary>Runs every sweep due at or before <paramref name="time"/>, then sets the clock to it.</summary>
    public void AdvanceTo(DateTimeOffset time)
    {
        while (NextSweep <= time)
        {
            Now = NextSweep;
            Sweep(NextSweep);
            NextSweep += SweepInterval;
        }

        if (time > Now)
        {
            Now = time;
        }
    }

    /// <summary>A telemetry or event message from <paramref name="device"/> sampled at <paramref name="ts"/> (at or after <see cref="Now"/>).</summary>
    public void Receive(ReplayDevice device, IReadOnlyList<ReplayReading> readings, DateTimeOffset ts)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(readings);
        AdvanceTo(ts);
        var state = Touch(device, ts, online: true, reason: null, stateMessage: false);
        var kind = state.Rules ??= KindRulesOf(device.Site, device.Kind);
        var windowed = kind.Windowed;
        foreach (var reading in readings)
        {
            state.Set(reading, ts);
            if (windowed.TryGetValue(reading.Point, out var keep))
            {
                // As the engine: windowed points keep their samples (before evaluating, so the window includes this one).
                state.Record(reading.Point, new Sample(ts, reading.Value), keep);
            }
        }

        // The rules that read one of the message's points, in the rule set's order, plus the offline and silence rules.
        bool[]? affected = null;
        foreach (var reading in readings)
        {
            foreach (var index in kind.Reading(reading.Point))
            {
                (affected ??= new bool[kind.All.Count])[index] = true;
            }
        }

        if (affected is null)
        {
            return; // no rule reads these points: what they imply over time is the sweeper's
        }

        var rules = new List<RuleDefinition>(kind.All.Count);
        for (var i = 0; i < kind.All.Count; i++)
        {
            if (affected[i] || kind.All[i].Type is RuleType.Offline or RuleType.Stale)
            {
                rules.Add(kind.All[i]);
            }
        }

        Evaluate(state, Now, rules);
    }

    /// <summary>The gateway reports <paramref name="device"/> online or offline (with why) at <paramref name="ts"/>: every rule of the device is evaluated.</summary>
    public void ReceiveState(ReplayDevice device, bool online, string? reason, DateTimeOffset ts)
    {
        ArgumentNullException.ThrowIfNull(device);
        AdvanceTo(ts);
        var state = Touch(device, ts, online, reason, stateMessage: true);
        Evaluate(state, Now, _rules.For(device.Site, device.Kind));
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var state in _devices.Values)
        {
            var rules = _rules.For(state.Device.Site, state.Device.Kind);
            if (!SweepTimeDrivenOnly)
            {
                Evaluate(state, now, rules);
                continue;
            }

            // Most devices most of the time: only their time-driven rules, listed once per kind.
            var timeDriven = TimeDriven(state.Device.Site, state.Device.Kind);
            Evaluate(state, now, state.OpenCount == 0 ? timeDriven : rules.Where(rule => IsTimeDriven(rule) || state.Open(rule.Id) is not null));
        }
    }

    private RuleDefinition[] TimeDriven(string site, string kind)
    {
        if (!_timeDriven.TryGetValue((site, kind), out var rules))
        {
            _timeDriven[(site, kind)] = rules = [.. _rules.For(site, kind).Where(IsTimeDriven)];
        }

        return rules;
    }

    // A windowed aggregate moves as its window slides, with no new message: an hourly mean falls as a high hour ages out.
    private static bool IsTimeDriven(RuleDefinition rule) => rule.Type is RuleType.Stale or RuleType.Age or RuleType.Expiry or RuleType.Offline || rule.Window is not null;

    private DeviceState Touch(ReplayDevice device, DateTimeOffset ts, bool online, string? reason, bool stateMessage)
    {
        if (!_devices.TryGetValue((device.Site, device.Device), out var state))
        {
            _devices[(device.Site, device.Device)] = state = new DeviceState(device, ts, online, reason);
            return state;
        }

        state.Device = device;
        state.LastSeen = ts > state.LastSeen ? ts : state.LastSeen;
        if (ts >= state.StateTs)
        {
            if (online != state.Online)
            {
                state.StateSince = ts;
            }

            (state.Online, state.Reason, state.StateTs) = (online, stateMessage ? reason : null, ts);
        }

        return state;
    }

    private void Evaluate(DeviceState state, DateTimeOffset now, IEnumerable<RuleDefinition> rules)
    {
        // As the engine: the device's parameters (defaults, its site's, its own) and its windowed points' samples.
        var settings = state.Settings ??= _rules.Settings(state.Device.Site, state.Device.Device, state.Device.Kind);
        var windowed = (state.Rules ??= KindRulesOf(state.Device.Site, state.Device.Kind)).Windowed;
        var facts = state.Facts(settings, windowed.Count == 0 ? null : state.History(windowed.Keys));
        foreach (var rule in rules)
        {
            var key = (state.Device.Site, state.Device.Device, rule.Id);
            var open = state.Open(rule.Id);
            var verdict = RuleEvaluator.Evaluate(rule, facts, open?.State.IsActive() == true, now);
            if (verdict.Active is null)
            {
                continue;
            }

            var fact = new ConditionObserved(verdict);
            var firings = AlertLifecycle.NeedsRecentFirings(fact, open) ? state.RecentFirings(rule.Id, now - _lifecycle.Flap.Window) : 0;
            var transition = _lifecycle.Next(fact, AlertRule.Of(rule, settings), open, now, firings);
            if (transition.Change == AlertChange.None)
            {
                continue;
            }

            Store(state, key, transition, now);
            Transitioned?.Invoke(new ReplayedTransition(now, state.Device, rule, transition));
        }
    }

    private void Store(DeviceState state, (string Site, string Device, string Rule) key, AlertTransition transition, DateTimeOffset now)
    {
        switch (transition.Change)
        {
            case AlertChange.Discarded:
                _latest.Remove(key);
                state.SetAlert(key.Rule, null);
                return;
            case AlertChange.Opened:
                _latest[key] = transition.Next! with { Id = _nextId++ };
                break;
            default:
                _latest[key] = transition.Next! with { Id = _latest[key].Id };
                break;
        }

        state.SetAlert(key.Rule, _latest[key]);
        if (transition.Events.Any(e => e.Action == AlertAction.Fired))
        {
            state.Fired(key.Rule, now);
        }
    }

    private KindRules KindRulesOf(string site, string kind)
    {
        if (!_kinds.TryGetValue((site, kind), out var rules))
        {
            _kinds[(site, kind)] = rules = new KindRules(_rules.For(site, kind), _rules.WindowedPoints(site, kind));
        }

        return rules;
    }

    /// <summary>The rules of one site and kind, with which of them read each point (as the engine decides which rules a message concerns).</summary>
    private sealed class KindRules(IReadOnlyList<RuleDefinition> all, IReadOnlyDictionary<string, TimeSpan> windowed)
    {
        private readonly Dictionary<string, int[]> _byPoint = new(StringComparer.Ordinal);

        public IReadOnlyList<RuleDefinition> All { get; } = all;

        /// <summary>The points whose samples the kind's windowed rules need, with the longest window over each.</summary>
        public IReadOnlyDictionary<string, TimeSpan> Windowed { get; } = windowed;

        /// <summary>The positions in <see cref="All"/> of the rules that read <paramref name="point"/>.</summary>
        public int[] Reading(string point)
        {
            if (!_byPoint.TryGetValue(point, out var rules))
            {
                _byPoint[point] = rules =
                [
                    .. Enumerable.Range(0, All.Count).Where(i => All[i].PointsRead()
                        .Any(p => p.Contains('*', StringComparison.Ordinal) ? RuleEvaluator.PointPattern(p).IsMatch(point) : p == point)),
                ];
            }

            return rules;
        }
    }

    /// <summary>What the cloud's devices table and latest values hold for one device.</summary>
    private sealed class DeviceState(ReplayDevice device, DateTimeOffset heard, bool online, string? reason)
    {
        private readonly Dictionary<string, PointReading> _points = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<Sample>> _history = new(StringComparer.Ordinal);

        // The device's newest alert per rule and its firings (for flapping): the replay's hot path looks them up by
        // rule id here instead of hashing (site, device, rule) for every rule of every message.
        private readonly Dictionary<string, Alert> _alerts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<DateTimeOffset>> _firings = new(StringComparer.Ordinal);

        /// <summary>How many of the device's alerts are open (pending, firing or acknowledged).</summary>
        public int OpenCount { get; private set; }

        /// <summary>The rules of the device's site and kind.</summary>
        public KindRules? Rules { get; set; }

        /// <summary>The device's parameters, resolved once (the rule set does not change during a replay).</summary>
        public DeviceSettings? Settings { get; set; }

        public Alert? Open(string rule) => _alerts.GetValueOrDefault(rule) is { State: not AlertState.Resolved } alert ? alert : null;

        public void SetAlert(string rule, Alert? alert)
        {
            OpenCount -= Open(rule) is null ? 0 : 1;
            if (alert is null)
            {
                _alerts.Remove(rule);
            }
            else
            {
                _alerts[rule] = alert;
            }

            OpenCount += Open(rule) is null ? 0 : 1;
        }

        public void Fired(string rule, DateTimeOffset at)
        {
            if (!_firings.TryGetValue(rule, out var times))
            {
                _firings[rule] = times = [];
            }

            times.Add(at);
        }

        /// <summary>How often the rule fired on the device since <paramref name="since"/> (as the alert store counts them).</summary>
        public int RecentFirings(string rule, DateTimeOffset since)
        {
            if (!_firings.TryGetValue(rule, out var times))
            {
                return 0;
            }

            times.RemoveAll(t => t < since);
            return times.Count;
        }

        public ReplayDevice Device { get; set; } = device;

        public bool Online { get; set; } = online;

        public string? Reason { get; set; } = reason;

        public DateTimeOffset StateSince { get; set; } = heard;

        public DateTimeOffset StateTs { get; set; } = heard;

        public DateTimeOffset LastSeen { get; set; } = heard;

        public void Set(ReplayReading reading, DateTimeOffset ts)
        {
            if (!_points.TryGetValue(reading.Point, out var current))
            {
                _points[reading.Point] = new PointReading(reading.Value, reading.Label, ts);
            }
            else if (ts > current.Ts)
            {
                _points[reading.Point] = new PointReading(reading.Value, reading.Label, ts, current.Value, current.Ts);
            }
            else if (ts == current.Ts)
            {
                _points[reading.Point] = current with { Value = reading.Value, Label = reading.Label };
            }
        }

        public void Record(string point, Sample sample, TimeSpan keep)
        {
            if (!_history.TryGetValue(point, out var samples))
            {
                _history[point] = samples = [];
            }

            WindowAggregate.Add(samples, sample, keep);
        }

        /// <summary>A copy of the samples of <paramref name="points"/>; null when none has any.</summary>
        public Dictionary<string, IReadOnlyList<Sample>>? History(IEnumerable<string> points)
        {
            Dictionary<string, IReadOnlyList<Sample>>? found = null;
            foreach (var point in points)
            {
                if (_history.TryGetValue(point, out var samples))
                {
                    (found ??= new(StringComparer.Ordinal))[point] = [.. samples];
                }
            }

            return found;
        }

        public DeviceFacts Facts(DeviceSettings settings, IReadOnlyDictionary<string, IReadOnlyList<Sample>>? history) =>
            new(Device.Site, Device.Gateway, Device.Device, Device.Kind, Device.Building, Online, StateSince, Reason, LastSeen, _points, settings, history);
    }
}

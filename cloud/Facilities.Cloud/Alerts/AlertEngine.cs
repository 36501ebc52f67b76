using System.Data.Common;
using Facilities.Cloud.Devices;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Rules;
using Facilities.Cloud.Sites;
using Facilities.Cloud.Storage;
using Facilities.Telemetry;

namespace Facilities.Cloud.Alerts;

/// <summary>
/// Turns rule verdicts into facts for the alert lifecycle (<see cref="AlertLifecycle"/>: pending → firing → acknowledged →
/// resolved), which <see cref="AlertStore.ApplyAsync"/> decides and writes. It runs in the ingestion
/// transaction for the device a message is about, and for the devices and gateways that come due (<see cref="DueWorker"/>),
/// so "for" durations, silence and expiry dates fire without new messages: each evaluation stores when its subject is due
/// next (<see cref="DueTimes"/>, table <c>due_work</c>), and each batch pushes on the silence time of what it heard. At most one alert is open per device and rule:
/// the partial unique index <c>alerts_one_open</c> guarantees it even when two cloud instances race.
/// <list type="bullet">
/// <item>A condition that must hold "for" a while opens a pending alert that notifies nobody; it fires once the time
/// has passed and is deleted if the condition clears first.</item>
/// <item>An alert that fired <see cref="RulesOptions.FlapCount"/> times within <see cref="RulesOptions.FlapWindow"/>
/// is flapping: instead of resolving and firing again it stays open until its condition stayed clear for
/// <see cref="RulesOptions.FlapHold"/>.</item>
/// <item>Suppressed alerts (elevator in inspection, a maintenance window) are recorded with the reason but notify nobody.</item>
/// <item>While a gateway is offline, its devices' offline and silence rules are not evaluated: one "gateway offline"
/// alert stands for them all.</item>
/// </list>
/// </summary>
/// <remarks>
/// Each device's rules see its parameters and calendars (<see cref="RuleSet.Settings"/>, in its site's time zone from
/// <paramref name="siteTime"/>) and, for windowed rules, the recent samples of their points (<see cref="PointHistories"/>).
/// </remarks>
public sealed class AlertEngine(
    RuleSet rules,
    RulesOptions options,
    MaintenanceSchedule maintenance,
    AlertStore store,
    SiteTime? siteTime = null) : IMessageHandler
{
    private readonly PointHistories _histories = new();

    public const string GatewayOfflineRule = RaisedRules.GatewayOffline;

    /// <summary>Reads the open alerts of every device the batch's messages concern, in one query per site.</summary>
    public async ValueTask BeginBatchAsync(IReadOnlyList<Envelope> batch, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        var open = new OpenAlerts();
        context.Keep(open);
        await HeardAsync(batch, context, cancellationToken);
        foreach (var site in batch.Where(e => e.Message is not GatewayStatusMessage && e.Device is not null && Concerns(e)).GroupBy(e => e.Site, StringComparer.Ordinal))
        {
            var devices = site.Select(e => e.Device!).Distinct(StringComparer.Ordinal).ToList();
            foreach (var (device, alerts) in await AlertStore.OpenAlertsAsync(context.Connection, context.Transaction, site.Key, devices, cancellationToken))
            {
                open.ByDevice[(site.Key, device)] = alerts;
            }
        }
    }

    public async ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(context);
        var now = context.Time.GetUtcNow();
        if (envelope.Message is GatewayStatusMessage)
        {
            await EvaluateGatewayAsync(context.Connection, context.Transaction, envelope.Site, envelope.Gateway, now, cancellationToken);
            Forget(context, envelope.Site, GatewaySubject(envelope.Gateway));
        }
        else if (envelope.Device is not null && Concerns(envelope))
        {
            var windowed = RecordWindowed(envelope);
            if (DeviceRegistry.BatchOf(context) is { } devices && context.Find<OpenAlerts>()?.ByDevice.GetValueOrDefault((envelope.Site, envelope.Device)) is { } open)
            {
                // The batch's view of the device (its messages so far folded in) and of its open alerts: no query unless
                // a verdict changes an alert, and then the device's open alerts are read again.
                if (devices.Facts(envelope.Site, envelope.Device) is { } batchFacts)
                {
                    // The windowed points' samples are copied only when something reads them: a windowed rule this
                    // message can change, or (below) the due time. A boiler's hour of samples was copied for every message.
                    var message = RulesOf(envelope, batchFacts.Kind);
                    var withHistory = windowed || message.ReadsWindow;
                    var facts = withHistory ? WithHistory(batchFacts) : batchFacts;
                    var gateway = devices.Gateway(envelope.Site, facts.Gateway);
                    var gatewayDown = IsGatewayDown(gateway?.State, gateway?.LastSeen, now);
                    var wrote = await EvaluateAsync(context.Connection, context.Transaction, facts, gatewayDown, open, now, cancellationToken, message.Affected);
                    if (wrote)
                    {
                        context.Find<OpenAlerts>()!.ByDevice[(envelope.Site, envelope.Device)] = open =
                            await AlertStore.OpenAlertsAsync(context.Connection, context.Transaction, envelope.Site, envelope.Device, cancellationToken);
                    }

                    // The due time changes with an alert's state, the link state, a dated point's value and a windowed point's
                    // samples; "last heard" was taken care of at the start of the batch.
                    var changed = wrote || envelope.Message is DeviceStateMessage;
                    if (changed || message.ReadsDate || windowed)
                    {
                        facts = withHistory ? facts : WithHistory(facts);
                        var due = DueTimes.Device(Kind(facts.Site, facts.Kind).All, facts, open, gatewayDown, options.FlapHold, now);
                        if (changed || !TimerCovers(context, (facts.Site, facts.Device), due.Timer, now))
                        {
                            await StoreDueAsync(context.Connection, context.Transaction, facts.Site, facts.Device, due, now, cancellationToken);
                            Forget(context, facts.Site, facts.Device);
                            RememberTimer(context, (facts.Site, facts.Device), DueTimes.NotBefore(due, now, Retry).Timer);
                        }
                    }
                }
            }
            else
            {
                await EvaluateDeviceAsync(context.Connection, context.Transaction, envelope.Site, envelope.Device, now, cancellationToken);
                Forget(context, envelope.Site, envelope.Device);
            }
        }
    }

    /// <summary>
    /// Keeps the samples of the message's points that windowed rules read (before evaluating, so the window includes
    /// them); true when it kept one.
    /// </summary>
    private bool RecordWindowed(Envelope envelope)
    {
        switch (envelope.Message)
        {
            case TelemetryMessage t when Windowed(envelope.Site, t.Kind) is { Count: > 0 } windowed:
                var recorded = false;
                foreach (var (point, value) in t.Values)
                {
                    recorded |= Record(windowed, point, t.Ts, value);
                }

                return recorded;
            case EventMessage e when Windowed(envelope.Site, e.Kind) is { Count: > 0 } windowed:
                return Record(windowed, e.Point, e.Ts, e.Value);
            default:
                return false;
        }

        bool Record(IReadOnlyDictionary<string, TimeSpan> windowed, string point, DateTimeOffset ts, double value)
        {
            if (!windowed.TryGetValue(point, out var keep))
            {
                return false;
            }

            _histories.Add(envelope.Site, envelope.Device!, point, new Sample(ts, value), keep);
            return true;
        }
    }

    /// <summary>The facts with the recent samples of the device's windowed points (null history when its kind has no windowed rule).</summary>
    private DeviceFacts WithHistory(DeviceFacts facts)
    {
        var windowed = Windowed(facts.Site, facts.Kind);
        return facts with { History = windowed.Count == 0 ? null : _histories.Of(facts.Site, facts.Device, windowed.Keys) };
    }

    /// <summary>The points the windowed rules of a kind read (and their windows' gates), with the longest window over each.</summary>
    private IReadOnlyDictionary<string, TimeSpan> Windowed(string site, string kind) => Kind(site, kind).WindowedPoints;

    /// <summary>The open alerts of a batch's devices by rule, as the batch knows them.</summary>
    private sealed class OpenAlerts
    {
        public Dictionary<(string Site, string Device), Dictionary<string, Alert>> ByDevice { get; } = [];
    }

    /// <summary>
    /// Whether a message can change a verdict at once: a link-state change, or a value of a point some rule of the
    /// device's kind looks at. Most readings (an elevator's floor, a port's energy) concern no rule; what they imply
    /// over time (silence ending, a device back online) the due-work worker picks up: hearing a device whose silence time
    /// has passed makes it due at once.
    /// </summary>
    private bool Concerns(Envelope envelope)
    {
        switch (envelope.Message)
        {
            case DeviceStateMessage:
                return true;
            case EventMessage e:
                return Kind(envelope.Site, e.Kind).Point(e.Point).Mask is not null;
            case TelemetryMessage t:
                var kind = Kind(envelope.Site, t.Kind);
                foreach (var point in t.Values.Keys)
                {
                    if (kind.Point(point).Mask is not null)
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// What a message means to its device's kind's rules, in one pass over its points. <see cref="MessageRules.Affected"/>:
    /// the rules it can change the verdict of, as bits over the kind's rules in their order — those reading one of its
    /// points, and the device-level offline and silence rules, which any message from the device bears on; null (every
    /// rule) for a link-state message. Verdicts that change only with time ("for" durations, silence, expiry dates) are
    /// the due-work worker's.
    /// </summary>
    private MessageRules RulesOf(Envelope envelope, string kind)
    {
        var kindRules = Kind(envelope.Site, kind);
        var affected = (ulong[])kindRules.DeviceLevel.Clone();
        var readsDate = false;
        void Add(string point)
        {
            var reading = kindRules.Point(point);
            if (reading.Mask is { } mask)
            {
                readsDate |= reading.ReadsDate;
                for (var i = 0; i < affected.Length; i++)
                {
                    affected[i] |= mask[i];
                }
            }
        }

        switch (envelope.Message)
        {
            case EventMessage e:
                Add(e.Point);
                break;
            case TelemetryMessage t:
                foreach (var point in t.Values.Keys)
                {
                    Add(point);
                }

                break;
            default:
                return new MessageRules(null, false, kindRules.Windowed.Any(b => b != 0));
        }

        var readsWindow = false;
        for (var i = 0; i < affected.Length; i++)
        {
            readsWindow |= (affected[i] & kindRules.Windowed[i]) != 0;
        }

        return new MessageRules(affected, readsDate, readsWindow);
    }

    /// <param name="Affected">The rules the message can change, as bits over its kind's rules; null: every rule.</param>
    /// <param name="ReadsDate">It carries a point an expiry or age rule reads (its value moves the rule's due time).</param>
    /// <param name="ReadsWindow">A windowed rule is among those it can change.</param>
    private readonly record struct MessageRules(ulong[]? Affected, bool ReadsDate, bool ReadsWindow);

    /// <summary>
    /// The rules of a kind at a site as this engine reads them, worked out once (the rule set does not change while the
    /// cloud runs); looked up by site, then kind, with ordinal string keys: a message's every point is looked up here.
    /// Sites and kinds come from the wire, so at most <see cref="MaxKnown"/> of each are kept; past that they are worked
    /// out again on every message.
    /// </summary>
    private KindRules Kind(string site, string kind)
    {
        // Handling one message asks for its kind's rules several times over (which rules it concerns, its windowed
        // points, its silence, the evaluation, the due time), with the same strings: the last answer on this thread is
        // kept and checked first.
        var last = t_last ??= new LastKind();
        if (last.Engine == this && string.Equals(last.Site, site, StringComparison.Ordinal) && string.Equals(last.Kind, kind, StringComparison.Ordinal))
        {
            return last.Rules!;
        }

        var rules = Find(site, kind);
        (last.Engine, last.Site, last.Kind, last.Rules) = (this, site, kind, rules);
        return rules;
    }

    [ThreadStatic]
    private static LastKind? t_last;

    /// <summary>The kind's rules a thread looked up last, and for which engine, site and kind (one per thread, reused).</summary>
    private sealed class LastKind
    {
        public AlertEngine? Engine;
        public string? Site;
        public string? Kind;
        public KindRules? Rules;
    }

    private KindRules Find(string site, string kind)
    {
        if (!_kinds.TryGetValue(site, out var kinds))
        {
            kinds = new System.Collections.Concurrent.ConcurrentDictionary<string, KindRules>();
            if (_kinds.Count < MaxKnown)
            {
                kinds = _kinds.GetOrAdd(site, kinds);
            }
        }

        if (kinds.TryGetValue(kind, out var known))
        {
            return known;
        }

        var made = new KindRules(rules.For(site, kind), rules.WindowedPoints(site, kind));
        return kinds.Count < MaxKnown ? kinds.GetOrAdd(kind, made) : made;
    }

    private const int MaxKnown = 4096;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentDictionary<string, KindRules>> _kinds = new();

    /// <summary>
    /// A kind's rules in their order, its device-level (offline, silence) and windowed rules as bits over them, the points
    /// its windowed rules keep samples of, its silence window, and what each point means to them (<see cref="Point"/>).
    /// </summary>
    private sealed class KindRules(IReadOnlyList<RuleDefinition> all, IReadOnlyDictionary<string, TimeSpan> windowedPoints)
    {
        public IReadOnlyList<RuleDefinition> All => all;

        /// <summary>The points whose recent samples the windowed rules read, with the longest window over each (<see cref="RuleSet.WindowedPoints"/>).</summary>
        public IReadOnlyDictionary<string, TimeSpan> WindowedPoints => windowedPoints;

        /// <summary>The shortest silence window of the kind's stale rules; null when it has none.</summary>
        public TimeSpan? Silence { get; } = all.Where(r => r.Type == RuleType.Stale).Select(r => (TimeSpan?)(r.After ?? TimeSpan.FromMinutes(15))).Min();

        public ulong[] DeviceLevel { get; } = Bits(all, r => r.Type is RuleType.Offline or RuleType.Stale);

        public ulong[] Windowed { get; } = Bits(all, r => r.Window is not null);

        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PointRules> _points = new();

        /// <summary>
        /// What a point means to the kind's rules: the rules reading it (as their point, the point their limit is relative
        /// to, their window's gate, or in a "when", "suppressWhen" or "anyOf" condition) as bits, null when none does, and
        /// whether one of them is an expiry or age rule. Point names come from the wire: at most <see cref="MaxKnown"/> are kept.
        /// </summary>
        public PointRules Point(string point)
        {
            if (_points.TryGetValue(point, out var known))
            {
                return known;
            }

            var reading = all.Where(rule => rule.PointsRead()
                .Any(p => p.Contains('*', StringComparison.Ordinal) ? RuleEvaluator.PointPattern(p).IsMatch(point) : p == point)).ToArray();
            var made = reading.Length == 0 ? PointRules.None : new PointRules(Bits(all, reading.Contains), reading.Any(r => r.Type is RuleType.Expiry or RuleType.Age));
            return _points.Count < MaxKnown ? _points.GetOrAdd(point, made) : made;
        }
    }

    /// <param name="Mask">The rules reading the point, as bits over the kind's rules; null when no rule reads it.</param>
    /// <param name="ReadsDate">One of them is an expiry or age rule.</param>
    private sealed record PointRules(ulong[]? Mask, bool ReadsDate)
    {
        public static PointRules None { get; } = new(null, false);
    }

    /// <summary>The rules of <paramref name="all"/> that <paramref name="match"/>, as bits (rule i is bit i % 64 of word i / 64).</summary>
    private static ulong[] Bits(IReadOnlyList<RuleDefinition> all, Func<RuleDefinition, bool> match)
    {
        var bits = new ulong[(all.Count + 63) / 64];
        for (var i = 0; i < all.Count; i++)
        {
            bits[i >> 6] |= match(all[i]) ? 1UL << (i & 63) : 0;
        }

        return bits;
    }

    /// <summary>Evaluates every rule of one device against what the database knows now and stores when it is due next; false when the device is unknown.</summary>
    public async Task<bool> EvaluateDeviceAsync(DbConnection connection, DbTransaction transaction, string site, string device, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (await DeviceStore.FactsAsync(connection, transaction, site, device, cancellationToken) is not { } found)
        {
            return false;
        }

        var (stored, gatewayState, gatewayLastSeen) = found;
        var facts = WithHistory(stored);
        _timerWritten.TryRemove((site, device), out _); // this evaluation writes the row; the next message writes it again
        var open = await AlertStore.OpenAlertsAsync(connection, transaction, site, device, cancellationToken);
        var gatewayDown = IsGatewayDown(gatewayState, gatewayLastSeen, now);
        if (await EvaluateAsync(connection, transaction, facts, gatewayDown, open, now, cancellationToken))
        {
            open = await AlertStore.OpenAlertsAsync(connection, transaction, site, device, cancellationToken);
        }

        await StoreDueAsync(connection, transaction, site, device, DueTimes.Device(Kind(site, facts.Kind).All, facts, open, gatewayDown, options.FlapHold, now), now, cancellationToken);
        return true;
    }

    /// <summary>
    /// How long a due time that is already past after an evaluation is put off (<see cref="DueTimes.NotBefore"/>): a pending
    /// alert whose rule cannot tell yet is looked at twice a minute rather than in a tight loop.
    /// </summary>
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(30);

    private static Task StoreDueAsync(DbConnection connection, DbTransaction transaction, string site, string subject, DueTime due, DateTimeOffset now, CancellationToken cancellationToken) =>
        DueWorkStore.SetAsync(connection, transaction, site, subject, DueTimes.NotBefore(due, now, Retry), cancellationToken);

    /// <summary>
    /// Pushes on the silence time of every device and gateway <paramref name="batch"/> heard, before any alert of theirs is
    /// written (the due-work worker takes a subject's due row before its alerts too, so the two never wait for each other
    /// in opposite order). A device whose kind has no silence rule has nothing to push.
    /// <para>
    /// A subject heard all the time would move its due time at every batch. The row is rewritten only when the time moves
    /// by more than a tenth of the silence window (at least a second; remembered per instance, once committed): a stored
    /// time that lags behind the true one by that much only means that, if the subject falls silent, it is looked at once
    /// a little early and found not silent yet, which costs one evaluation; a time that moves earlier, or one that is
    /// already past (its alert may have fired), is always written.
    /// </para>
    /// </summary>
    private async Task HeardAsync(IReadOnlyList<Envelope> batch, IngestContext context, CancellationToken cancellationToken)
    {
        var now = context.Time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        // Gathered by key, then written in key order (ordinal: the order every instance takes these rows in).
        var heard = new Dictionary<(string Site, string Subject), (long At, long Window)>();
        var gatewaySubjects = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var envelope in batch)
        {
            var at = envelope.ReceivedAt.ToUnixTimeMilliseconds();
            if (envelope.Message is not GatewayStatusMessage { Seq: 0 })
            {
                if (!gatewaySubjects.TryGetValue(envelope.Gateway, out var gatewaySubject))
                {
                    gatewaySubjects[envelope.Gateway] = gatewaySubject = GatewaySubject(envelope.Gateway);
                }

                Note(heard, (envelope.Site, gatewaySubject), at, (long)options.GatewaySilence.TotalMilliseconds);
            }

            var kind = envelope.Message switch
            {
                TelemetryMessage t => t.Kind,
                EventMessage e => e.Kind,
                DeviceStateMessage d => d.Kind,
                _ => null,
            };
            if (kind is not null && envelope.Device is not null && Kind(envelope.Site, kind).Silence is { } window)
            {
                Note(heard, (envelope.Site, envelope.Device), at, (long)window.TotalMilliseconds);
            }
        }

        var rows = new List<object?[]>();
        var written = new List<((string, string) Key, long Silence)>();
        foreach (var (key, (at, window)) in heard.OrderBy(h => h.Key.Site, StringComparer.Ordinal).ThenBy(h => h.Key.Subject, StringComparer.Ordinal))
        {
            var silence = at + window + 1;
            if (_silenceWritten.TryGetValue(key, out var stored) && stored > nowMs && silence >= stored && silence - stored < Math.Max(1000, window / 10))
            {
                continue;
            }

            rows.Add([key.Site, key.Subject, silence, silence]);
            written.Add((key, silence));
        }

        if (rows.Count > 0)
        {
            await DueWorkStore.HeardAsync(context.Connection, context.Transaction, rows, now, cancellationToken);
            context.AfterCommit(() =>
            {
                foreach (var (key, silence) in written)
                {
                    _silenceWritten[key] = silence;
                }
            });
        }

        static void Note(Dictionary<(string, string), (long At, long Window)> heard, (string, string) key, long at, long window)
        {
            ref var seen = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(heard, key, out var exists);
            seen = exists ? (Math.Max(seen.At, at), window) : (at, window);
        }
    }

    /// <summary>The due time of a subject was written in full: the next batch that hears it writes its silence time again.</summary>
    private void Forget(IngestContext context, string site, string subject) => context.AfterCommit(() => _silenceWritten.TryRemove((site, subject), out _));

    /// <summary>
    /// Whether the timer last written for a device (by this batch, or by this instance and committed) already serves a
    /// newly computed one, so a message that only moved a dated or windowed point need not write it again: a stored
    /// timer still ahead of now and no later than the new one comes due in time (and its evaluation stores the next);
    /// coming due when nothing is due costs one evaluation. A device the due-work worker evaluated is forgotten (its row
    /// was written there), and so is one whose stored timer has passed. Should another instance's worker rewrite the row
    /// meanwhile, a moving window is looked at again by the first message after the remembered time, at the latest.
    /// </summary>
    private bool TimerCovers(IngestContext context, (string Site, string Device) device, DateTimeOffset? timer, DateTimeOffset now)
    {
        long? stored;
        if (context.Find<BatchTimers>() is { } batch && batch.TryGetValue(device, out var inBatch))
        {
            stored = inBatch;
        }
        else if (!_timerWritten.TryGetValue(device, out stored))
        {
            return false;
        }

        return stored is not { } at
            ? timer is null
            : at > now.ToUnixTimeMilliseconds() && (timer is null || at <= timer.Value.ToUnixTimeMilliseconds());
    }

    /// <summary>Notes the timer this batch wrote for a device; <see cref="_timerWritten"/> takes the batch's once it commits.</summary>
    private void RememberTimer(IngestContext context, (string Site, string Device) device, DateTimeOffset? timer)
    {
        if (context.Find<BatchTimers>() is not { } batch)
        {
            context.Keep(batch = new BatchTimers());
            context.AfterCommit(() =>
            {
                foreach (var (written, at) in batch)
                {
                    _timerWritten[written] = at;
                }
            });
        }

        batch[device] = timer?.ToUnixTimeMilliseconds();
    }

    /// <summary>The timers this batch wrote, by device; remembered in <see cref="_timerWritten"/> once committed.</summary>
    private sealed class BatchTimers : Dictionary<(string Site, string Device), long?>;

    /// <summary>What this instance last wrote as a device's timer (see <see cref="TimerCovers"/>); null: no timer.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Device), long?> _timerWritten = new();

    /// <summary>What this instance last wrote as a subject's silence time (see <see cref="HeardAsync"/>).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Subject), long> _silenceWritten = new();

    /// <summary>
    /// Evaluates the rules of the device's kind on <paramref name="facts"/> (with their windowed history: <see cref="WithHistory"/>):
    /// every one, or only those <paramref name="affected"/> marks (<see cref="RulesOf"/>: what the message that changed the facts can affect). True when an
    /// alert was written (or another instance's was met).
    /// </summary>
    private async Task<bool> EvaluateAsync(
        DbConnection connection, DbTransaction transaction, DeviceFacts facts, bool gatewayDown, Dictionary<string, Alert> open, DateTimeOffset now,
        CancellationToken cancellationToken, ulong[]? affected = null)
    {
        var wrote = false;
        var settings = rules.Settings(facts.Site, facts.Device, facts.Kind, siteTime?.ZoneOf(facts.Site));
        facts = facts with { Settings = settings };
        var inMaintenance = maintenance.Covers(facts.Site, facts.Building, facts.Device, now);
        var subject = new AlertSubject(facts.Site, facts.Gateway, facts.Device, facts.Kind, facts.Building);
        var all = Kind(facts.Site, facts.Kind).All;
        for (var i = 0; i < all.Count; i++)
        {
            var rule = all[i];
            if (affected is not null && (affected[i >> 6] & (1UL << (i & 63))) == 0)
            {
                continue;
            }

            if (gatewayDown && rule.Type is RuleType.Offline or RuleType.Stale)
            {
                continue;
            }

            var alert = open.GetValueOrDefault(rule.Id);
            var verdict = RuleEvaluator.Evaluate(rule, facts, alert?.State.IsActive() == true, now);
            if (verdict.Active is null || (verdict.Active == false && alert is null))
            {
                // The rule cannot tell, or its condition is clear where no alert is open: nothing changes
                // (AlertLifecycle.Next), and a healthy device's every message ends here.
                continue;
            }

            var transition = await store.ApplyAsync(connection, transaction, subject, AlertRule.Of(rule, settings), alert, new ConditionObserved(verdict, inMaintenance), now, cancellationToken);
            wrote |= transition.Change != AlertChange.None;
        }

        return wrote;
    }

    /// <summary>
    /// One alert per gateway that went offline (last will, "offline" status or silence), resolved when it is back; stores
    /// when the gateway is due next. False when the gateway is unknown.
    /// </summary>
    public async Task<bool> EvaluateGatewayAsync(DbConnection connection, DbTransaction transaction, string site, string gateway, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var row = await DeviceStore.GatewayLinkAsync(connection, transaction, site, gateway, cancellationToken);
        if (row is null)
        {
            return false;
        }

        var down = IsGatewayDown(row.State, row.LastSeen, now);
        var detail = row.State == DeviceStateMessage.Offline
            ? $"gateway {gateway} offline since {UnixTime.FromMs(row.StateSince):yyyy-MM-dd HH:mm:ss} UTC"
            : $"nothing heard from gateway {gateway} since {UnixTime.FromMs(row.LastSeen):yyyy-MM-dd HH:mm:ss} UTC";
        var open = await AlertStore.OpenAlertsAsync(connection, transaction, site, GatewaySubject(gateway), cancellationToken);
        // Its title and severity come from the rule set (rule gateway.offline, type raised); a site that switched the
        // rule off gets no such alert, and one still open resolves.
        var rule = RaisedRules.Resolve(rules, site, GatewayOfflineRule);
        var verdict = new Verdict(down && rule is not null, null, down ? detail : "online");
        var transition = await store.ApplyAsync(connection, transaction, new AlertSubject(site, gateway, GatewaySubject(gateway), "gateway", ""),
            rule is null ? new AlertRule(GatewayOfflineRule, "critical", GatewayOfflineRule, TimeSpan.Zero) : AlertRule.Of(rule),
            open.GetValueOrDefault(GatewayOfflineRule), new ConditionObserved(verdict, maintenance.Covers(site, "", GatewaySubject(gateway), now)), now, cancellationToken);
        if (transition.Change == AlertChange.Resolved)
        {
            await DueWorkStore.WakeAsync(connection, transaction, site, await DeviceStore.DevicesOfAsync(connection, transaction, site, gateway, cancellationToken), now, cancellationToken);
        }

        await StoreDueAsync(connection, transaction, site, GatewaySubject(gateway),
            DueTimes.Gateway(down, UnixTime.FromMs(row.LastSeen), transition.Next, options.GatewaySilence, options.FlapHold), now, cancellationToken);
        return true;
    }

    /// <summary>The device column of a gateway-level alert.</summary>
    public static string GatewaySubject(string gateway) => $"gateway:{gateway}";

    private bool IsGatewayDown(string? state, long? lastSeen, DateTimeOffset now) =>
        state == DeviceStateMessage.Offline || (lastSeen is { } seen && now - UnixTime.FromMs(seen) > options.GatewaySilence);
}

using System.Data.Common;
using Facilities.Cloud.Devices;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Rules;
using Facilities.Cloud.Storage;
using Facilities.Telemetry;

namespace Facilities.Cloud.Alerts;

/// <summary>
/// Turns rule verdicts into facts for the alert lifecycle (<see cref="AlertLifecycle"/>: pending → firing → acknowledged →
/// resolved), which <see cref="AlertStore.ApplyAsync"/> decides and writes. It runs in the ingestion
/// transaction for the device a message is about, and on a timer (<see cref="AlertSweeper"/>) for every device, so
/// "for" durations, silence and expiry dates fire without new messages. At most one alert is open per device and rule:
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
public sealed class AlertEngine(
    RuleSet rules,
    RulesOptions options,
    MaintenanceSchedule maintenance,
    AlertStore store) : IMessageHandler
{
    public const string GatewayOfflineRule = "gateway.offline";

    private static readonly AlertRule GatewayOffline = new(GatewayOfflineRule, "critical", "网关离线 Gateway offline — its devices are not watched", TimeSpan.Zero);

    /// <summary>Reads the open alerts of every device the batch's messages concern, in one query per site.</summary>
    public async ValueTask BeginBatchAsync(IReadOnlyList<Envelope> batch, IngestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        var open = new OpenAlerts();
        context.Keep(open);
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
        }
        else if (envelope.Device is not null && Concerns(envelope))
        {
            if (DeviceRegistry.BatchOf(context) is { } devices && context.Find<OpenAlerts>()?.ByDevice.GetValueOrDefault((envelope.Site, envelope.Device)) is { } open)
            {
                // The batch's view of the device (its messages so far folded in) and of its open alerts: no query unless
                // a verdict changes an alert, and then the device's open alerts are read again.
                if (devices.Facts(envelope.Site, envelope.Device) is { } facts)
                {
                    var gateway = devices.Gateway(envelope.Site, facts.Gateway);
                    if (await EvaluateAsync(context.Connection, context.Transaction, facts, IsGatewayDown(gateway?.State, gateway?.LastSeen, now), open, now, cancellationToken, envelope))
                    {
                        context.Find<OpenAlerts>()!.ByDevice[(envelope.Site, envelope.Device)] =
                            await AlertStore.OpenAlertsAsync(context.Connection, context.Transaction, envelope.Site, envelope.Device, cancellationToken);
                    }
                }
            }
            else
            {
                await EvaluateDeviceAsync(context.Connection, context.Transaction, envelope.Site, envelope.Device, now, cancellationToken);
            }
        }
    }

    /// <summary>The open alerts of a batch's devices by rule, as the batch knows them.</summary>
    private sealed class OpenAlerts
    {
        public Dictionary<(string Site, string Device), Dictionary<string, Alert>> ByDevice { get; } = [];
    }

    /// <summary>
    /// Whether a message can change a verdict at once: a link-state change, or a value of a point some rule of the
    /// device's kind looks at. Most readings (an elevator's floor, a port's energy) concern no rule; what they imply
    /// over time (silence ending, a device back online) the sweeper picks up within its interval.
    /// </summary>
    private bool Concerns(Envelope envelope) => envelope.Message switch
    {
        DeviceStateMessage => true,
        EventMessage e => Reading(envelope.Site, e.Kind, e.Point).Length > 0,
        TelemetryMessage t => t.Values.Keys.Any(point => Reading(envelope.Site, t.Kind, point).Length > 0),
        _ => false,
    };

    /// <summary>
    /// The rules a message can change the verdict of: those reading one of its points, and the device-level offline and
    /// silence rules, which any message from the device bears on. A link-state message concerns every rule. Verdicts
    /// that change only with time ("for" durations, silence, expiry dates) are the sweeper's. In the kind's order.
    /// </summary>
    private IEnumerable<RuleDefinition> Affected(Envelope trigger, string kind)
    {
        IEnumerable<string>? points = trigger.Message switch
        {
            EventMessage e => [e.Point],
            TelemetryMessage t => t.Values.Keys,
            _ => null,
        };
        var all = rules.For(trigger.Site, kind);
        if (points is null)
        {
            return all;
        }

        var reading = points.SelectMany(point => Reading(trigger.Site, kind, point)).ToHashSet();
        return all.Where(rule => rule.Type is RuleType.Offline or RuleType.Stale || reading.Contains(rule));
    }

    /// <summary>The rules of a kind that read <paramref name="point"/>: as their point, the point their limit is relative to, or in a "when", "suppressWhen" or "anyOf" condition.</summary>
    private RuleDefinition[] Reading(string site, string kind, string point) => _reading.GetOrAdd((site, kind, point), key =>
    [
        .. rules.For(key.Site, key.Kind).Where(rule => (rule.When ?? []).Concat(rule.SuppressWhen ?? []).Concat(rule.AnyOf ?? []).Select(c => c.Point).Append(rule.Point).Append(rule.RelativeTo).OfType<string>()
            .Any(p => p.Contains('*', StringComparison.Ordinal) ? RuleEvaluator.PointPattern(p).IsMatch(key.Point) : p == key.Point)),
    ]);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Kind, string Point), RuleDefinition[]> _reading = new();

    /// <summary>Evaluates every rule of one device against what the database knows now.</summary>
    public async Task EvaluateDeviceAsync(DbConnection connection, DbTransaction transaction, string site, string device, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (await AlertStore.DeviceFactsAsync(connection, transaction, site, device, cancellationToken) is not { } found)
        {
            return;
        }

        var (facts, gatewayState, gatewayLastSeen) = found;
        var open = await AlertStore.OpenAlertsAsync(connection, transaction, site, device, cancellationToken);
        await EvaluateAsync(connection, transaction, facts, IsGatewayDown(gatewayState, gatewayLastSeen, now), open, now, cancellationToken);
    }

    /// <summary>
    /// Evaluates the rules of the device's kind on <paramref name="facts"/>: every one, or with a <c>trigger</c> (the message that
    /// changed the facts) only those it can affect. True when an alert was written (or another instance's was met).
    /// </summary>
    private async Task<bool> EvaluateAsync(
        DbConnection connection, DbTransaction transaction, DeviceFacts facts, bool gatewayDown, Dictionary<string, Alert> open, DateTimeOffset now,
        CancellationToken cancellationToken, Envelope? trigger = null)
    {
        var wrote = false;
        var inMaintenance = maintenance.Covers(facts.Site, facts.Building, facts.Device, now);
        var subject = new AlertSubject(facts.Site, facts.Gateway, facts.Device, facts.Kind, facts.Building);
        foreach (var rule in trigger is null ? rules.For(facts.Site, facts.Kind) : Affected(trigger, facts.Kind))
        {
            if (gatewayDown && rule.Type is RuleType.Offline or RuleType.Stale)
            {
                continue;
            }

            var alert = open.GetValueOrDefault(rule.Id);
            var verdict = RuleEvaluator.Evaluate(rule, facts, alert?.State.IsActive() == true, now);
            if (verdict.Active is null)
            {
                continue;
            }

            var transition = await store.ApplyAsync(connection, transaction, subject, AlertRule.Of(rule), alert, new ConditionObserved(verdict, inMaintenance), now, cancellationToken);
            wrote |= transition.Change != AlertChange.None;
        }

        return wrote;
    }

    /// <summary>One alert per gateway that went offline (last will, "offline" status or silence), resolved when it is back.</summary>
    public async Task EvaluateGatewayAsync(DbConnection connection, DbTransaction transaction, string site, string gateway, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var row = await AlertStore.GatewayAsync(connection, transaction, site, gateway, cancellationToken);
        if (row is null)
        {
            return;
        }

        var down = IsGatewayDown(row.State, row.LastSeen, now);
        var detail = row.State == DeviceStateMessage.Offline
            ? $"gateway {gateway} offline since {UnixTime.FromMs(row.StateSince):yyyy-MM-dd HH:mm:ss} UTC"
            : $"nothing heard from gateway {gateway} since {UnixTime.FromMs(row.LastSeen):yyyy-MM-dd HH:mm:ss} UTC";
        var open = await AlertStore.OpenAlertsAsync(connection, transaction, site, GatewaySubject(gateway), cancellationToken);
        var verdict = new Verdict(down, null, down ? detail : "online");
        await store.ApplyAsync(connection, transaction, new AlertSubject(site, gateway, GatewaySubject(gateway), "gateway", ""), GatewayOffline,
            open.GetValueOrDefault(GatewayOfflineRule), new ConditionObserved(verdict, maintenance.Covers(site, "", GatewaySubject(gateway), now)), now, cancellationToken);
    }

    /// <summary>The device column of a gateway-level alert.</summary>
    public static string GatewaySubject(string gateway) => $"gateway:{gateway}";

    private bool IsGatewayDown(string? state, long? lastSeen, DateTimeOffset now) =>
        state == DeviceStateMessage.Offline || (lastSeen is { } seen && now - UnixTime.FromMs(seen) > options.GatewaySilence);
}

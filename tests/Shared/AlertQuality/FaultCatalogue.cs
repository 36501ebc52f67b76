using Facilities.Cloud.Domain.Rules;

namespace Facilities.Tests.AlertQuality;

/// <summary>
/// One fault the simulator can inject and the rule that must catch it. <see cref="Delay"/> is what the equipment
/// itself takes before the condition exists (a fouled exchanger lets the supply fall for minutes before it is 5 K
/// low; the rooms take hours to cool under 18 °C); the rule's own <c>for</c>/<c>after</c> and the detection allowance
/// come on top (<see cref="FaultCatalogue.Deadline"/>). An empty <see cref="Rule"/> is a quiet window: nothing may
/// page (inspection mode). A fault that rightly trips two rules (mains lost: the elevator's own fault and its
/// emergency-power mode) has an entry for each, injected separately.
/// </summary>
internal sealed record FaultKind(string Kind, string Fault, string Rule, TimeSpan Delay = default, bool PerPort = false);

/// <summary>Every fault of every kind of the sample estate, with the rule expected to alert on it.</summary>
internal static class FaultCatalogue
{
    /// <summary>Faults on the Modbus link, which every kind has: a dead link is "offline", a link answering only exceptions is "silent".</summary>
    private static IEnumerable<FaultKind> Communication(string kind) =>
    [
        new(kind, "comm-offline", "device.offline"),
        new(kind, "comm-slow", "device.offline"),
        new(kind, "comm-corrupt", "device.offline"),
        new(kind, "comm-busy", "device.stale"),
        new(kind, "comm-failure", "device.stale"),
    ];

    public static IReadOnlyList<FaultKind> All { get; } =
    [
        new("elevator", "trapped-at-floor", "elevator.trapped-at-floor"),
        new("elevator", "trapped-between-floors", "elevator.trapped-between-floors"),
        new("elevator", "stopped-outside-door-zone", "elevator.stopped-outside-door-zone"),
        new("elevator", "door-open-while-moving", "elevator.door-open-while-moving"),
        new("elevator", "overspeed", "elevator.overspeed"),
        new("elevator", "overtravel-top", "elevator.overtravel-top"),
        new("elevator", "overtravel-bottom", "elevator.overtravel-bottom"),
        new("elevator", "safety-circuit-open", "elevator.safety-circuit-open"),
        new("elevator", "door-lock-open", "elevator.door-lock-open"),
        new("elevator", "door-fails-to-open", "elevator.door-fails-to-open"),
        new("elevator", "door-fails-to-close", "elevator.door-fails-to-close"),
        new("elevator", "floor-position-lost", "elevator.floor-position-lost"),
        new("elevator", "motor-runtime-limiter", "elevator.motor-runtime-limiter"),
        new("elevator", "mains-power-lost", "elevator.mains-power-lost"),
        new("elevator", "landing-button-stuck", "elevator.landing-button-stuck"),
        new("elevator", "passenger-alarm", "elevator.passenger-alarm"),
        new("elevator", "unintended-car-movement", "elevator.unintended-car-movement"),
        new("elevator", "other-fault-preventing-restart", "elevator.other-fault-preventing-restart"),
        // A door that will not open at the floor shuts the passengers in: the controller names only the door fault,
        // the cloud derives the entrapment from the car (occupied, stopped, doors closed).
        new("elevator", "door-fails-to-open", "elevator.trapped-derived"),
        new("elevator", "out-of-service", "elevator.out-of-service"),
        new("elevator", "mains-power-lost", "elevator.on-battery"),
        new("elevator", "earthquake-mode", "elevator.earthquake"),
        new("elevator", "fire-return", "elevator.fire-service"),
        new("elevator", "firefighter-mode", "elevator.fire-service"),
        new("elevator", "inspection-mode", ""),
        .. Communication("elevator"),
        new("boiler", "lockout", "boiler.lockout"),
        new("boiler", "flame-failure", "boiler.lockout"),
        new("boiler", "low-water", "boiler.low-water"),
        new("boiler", "high-nox", "boiler.nox-high"),
        // Out-of-tune combustion: NOx on its hourly mean, and CO at once.
        new("boiler", "high-nox", "boiler.co-high"),
        new("boiler", "supply-temperature-low", "boiler.supply-low-while-burning", TimeSpan.FromMinutes(5)),
        // The same fouled exchanger, left alone: the rooms cool under 18 °C within about an hour on radiators, up to
        // three and a quarter on a floor-heating system on a mild afternoon (the slab holds its heat).
        new("boiler", "supply-temperature-low", "boiler.rooms-cold", TimeSpan.FromHours(3.5)),
        new("boiler", "over-pressure", "boiler.over-pressure"),
        new("boiler", "low-pressure", "boiler.low-pressure"),
        // Firing flat out, the supply climbs from its setpoint past the system's maximum within about 7 minutes.
        new("boiler", "overheating", "boiler.supply-too-hot", TimeSpan.FromMinutes(10)),
        new("boiler", "pump-stopped", "boiler.pump-stopped-while-firing"),
        new("boiler", "short-cycling", "boiler.short-cycling"),
        .. Communication("boiler"),
        new("charger-shed", "port-overcurrent", "charger.port-fault", PerPort: true),
        new("charger-shed", "port-over-temperature", "charger.port-fault", PerPort: true),
        new("charger-shed", "abnormal-load", "charger.port-fault", PerPort: true),
        new("charger-shed", "smoke", "charger.smoke"),
        new("charger-shed", "smoke-cut-off-failed", "charger.smoke-power-on"),
        new("charger-shed", "over-temperature", "charger.over-temperature"),
        // The shed heating towards its cut-off climbs several kelvin a minute at first.
        new("charger-shed", "over-temperature", "charger.temperature-rising"),
        new("charger-shed", "port-overlong-charge", "charger.charge-too-long", PerPort: true),
        new("charger-shed", "port-no-cut-off-when-full", "charger.power-after-full", PerPort: true),
        new("charger-shed", "mains-lost", "charger.mains-lost"),
        new("charger-shed", "door-open", "charger.door-open"),
        .. Communication("charger-shed"),
        new("aed-cabinet", "door-opened", "aed.door-open"),
        new("aed-cabinet", "aed-removed", "aed.removed"),
        // Taken and kept longer than the site's returnWithinHours (4 h by default).
        new("aed-cabinet", "aed-removed", "aed.not-returned"),
        new("aed-cabinet", "self-test-failure", "aed.self-test-failed"),
        new("aed-cabinet", "low-battery", "aed.battery-low"),
        new("aed-cabinet", "battery-expiring", "aed.battery-expiring"),
        new("aed-cabinet", "pads-expiring", "aed.pads-expiring"),
        new("aed-cabinet", "too-hot", "aed.too-hot"),
        new("aed-cabinet", "too-cold", "aed.too-cold"),
        new("aed-cabinet", "self-test-overdue", "aed.self-test-overdue"),
        .. Communication("aed-cabinet"),
    ];

    /// <summary>Shipped rules the month cannot inject a fault for, each with why (docs/alert-quality.md lists them).</summary>
    public static IReadOnlyDictionary<string, string> Uncovered { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["aed.post-use-check"] = "fires when a used AED is back in its cabinet and stays open until someone records the restocking " +
            "(pads, battery, self-test); the month has no people, so the first use on a cabinet opens it for good, and its time " +
            "runs from the AED's return, not from a fault's start (tested in rulesets/tests/aed-cabinet.tests.json)",
        ["gateway.offline"] = "the cloud raises it when a gateway's connection drops; the month runs one virtual gateway that never " +
            "fails (no MQTT, no broker), so only the devices' links fail (tested in AlertLifecycleTests and the demo's GatewayPowerCutTests)",
        ["workorder.sla-breach"] = "raised by the work-order timers when nobody acts on an order in time; the month opens no orders " +
            "and has nobody to act (tested in WorkOrderSlaTests and WorkOrderOpeningTests)",
    };

    /// <summary>
    /// How long after the fault starts its rule must have paged: what the equipment takes (<see cref="FaultKind.Delay"/>),
    /// the rule's own wait (<c>for</c>; a silence rule's <c>after</c>; for offline, the gateway's three failed polls),
    /// and <paramref name="allowance"/> for polling and the sweep, with the device's <paramref name="settings"/> (a
    /// <c>forParameter</c> such as the AED's returnWithinHours). Null when no rule of that id is in force.
    /// </summary>
    public static TimeSpan? Deadline(FaultKind fault, RuleDefinition? rule, TimeSpan allowance, DeviceSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(fault);
        if (rule is null)
        {
            return null;
        }

        // A rule judged on a window (NOx on its hourly mean, DB11/139) may need the whole window after a step change
        // before the mean crosses the limit: that time is the rule's, like its "for" (or the device's forParameter).
        var own = (rule.PendingFor(settings) ?? TimeSpan.Zero) + (rule.Type == RuleType.Stale ? rule.After ?? TimeSpan.Zero : TimeSpan.Zero) + (rule.Window?.Over ?? TimeSpan.Zero);
        return fault.Delay + own + allowance;
    }
}

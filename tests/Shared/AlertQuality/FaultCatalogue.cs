using Facilities.Cloud.Domain.Rules;

namespace Facilities.Tests.AlertQuality;

/// <summary>
/// One fault the simulator can inject and the rule that must catch it. <see cref="Delay"/> is what the equipment
/// itself takes before the condition exists (a fouled exchanger lets the supply fall for minutes before it is 8 K
/// low); the rule's own <c>for</c>/<c>after</c> and the detection allowance come on top (<see cref="FaultCatalogue.Deadline"/>).
/// An empty <see cref="Rule"/> is a quiet window: nothing may page (inspection mode).
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
        new("elevator", "inspection-mode", ""),
        .. Communication("elevator"),
        new("boiler", "lockout", "boiler.lockout"),
        new("boiler", "flame-failure", "boiler.lockout"),
        new("boiler", "low-water", "boiler.low-water"),
        new("boiler", "high-nox", "boiler.nox-high"),
        new("boiler", "supply-temperature-low", "boiler.supply-low-while-burning", TimeSpan.FromMinutes(20)),
        new("boiler", "over-pressure", "boiler.over-pressure"),
        .. Communication("boiler"),
        new("charger-shed", "port-overcurrent", "charger.port-fault", PerPort: true),
        new("charger-shed", "port-over-temperature", "charger.port-fault", PerPort: true),
        new("charger-shed", "abnormal-load", "charger.port-fault", PerPort: true),
        new("charger-shed", "smoke", "charger.smoke"),
        new("charger-shed", "smoke-cut-off-failed", "charger.smoke-power-on"),
        new("charger-shed", "over-temperature", "charger.over-temperature"),
        new("charger-shed", "mains-lost", "charger.mains-lost"),
        new("charger-shed", "door-open", "charger.door-open"),
        .. Communication("charger-shed"),
        new("aed-cabinet", "door-opened", "aed.door-open"),
        new("aed-cabinet", "aed-removed", "aed.removed"),
        new("aed-cabinet", "self-test-failure", "aed.self-test-failed"),
        new("aed-cabinet", "low-battery", "aed.battery-low"),
        new("aed-cabinet", "battery-expiring", "aed.battery-expiring"),
        new("aed-cabinet", "pads-expiring", "aed.pads-expiring"),
        new("aed-cabinet", "too-hot", "aed.too-hot"),
        new("aed-cabinet", "too-cold", "aed.too-cold"),
        new("aed-cabinet", "self-test-overdue", "aed.self-test-overdue"),
        .. Communication("aed-cabinet"),
    ];

    /// <summary>
    /// How long after the fault starts its rule must have paged: what the equipment takes (<see cref="FaultKind.Delay"/>),
    /// the rule's own wait (<c>for</c>; a silence rule's <c>after</c>; for offline, the gateway's three failed polls),
    /// and <paramref name="allowance"/> for polling and the sweep. Null when no rule of that id is in force.
    /// </summary>
    public static TimeSpan? Deadline(FaultKind fault, RuleDefinition? rule, TimeSpan allowance)
    {
        ArgumentNullException.ThrowIfNull(fault);
        if (rule is null)
        {
            return null;
        }

        // A rule judged on a window (NOx on its hourly mean, DB11/139) may need the whole window after a step change
        // before the mean crosses the limit: that time is the rule's, like its "for".
        var own = (rule.For ?? TimeSpan.Zero) + (rule.Type == RuleType.Stale ? rule.After ?? TimeSpan.Zero : TimeSpan.Zero) + (rule.Window?.Over ?? TimeSpan.Zero);
        return fault.Delay + own + allowance;
    }
}

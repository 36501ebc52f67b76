using System.Globalization;
using Facilities.Cloud.Domain.Devices;

namespace Facilities.Cloud.Domain.Chargers;

/// <summary>
/// The two durations availability depends on: a shed not heard for <c>StaleAfter</c> shows every port unknown; a busy
/// port whose shed does not publish minutes to full is expected free <c>TypicalChargeDuration</c> after it was plugged in.
/// </summary>
public sealed record ChargerTiming(TimeSpan StaleAfter, TimeSpan TypicalChargeDuration);

/// <summary>What the database knows about one charger shed: its link, its gateway's link and its latest values.</summary>
public sealed record ShedFacts(
    string Device, string Building, string DeviceState, DateTimeOffset LastSeen, string? GatewayState,
    IReadOnlyDictionary<string, PointReading> Points);

/// <summary>A port as residents see it. <c>ExpectedFreeAt</c> only for a charging port; <c>ExpectedFreeBasis</c> says how it was estimated.</summary>
public sealed record PortView(int Port, string State, DateTimeOffset? ExpectedFreeAt, string? ExpectedFreeBasis, DateTimeOffset? UpdatedAt);

/// <summary>
/// A shed: <c>Status</c> is <c>available</c>, <c>power-cut</c> (smoke, heat or mains: no port can charge), <c>offline</c>
/// or <c>stale</c> (the last two show every port as <c>unknown</c> and <c>Free</c> as null).
/// </summary>
public sealed record ShedView(
    string Shed, string Building, string Status, string? StatusReason, int? Free, int Total, string Summary,
    DateTimeOffset LastUpdate, IReadOnlyList<PortView> Ports);

/// <summary>
/// Charger availability from a shed's published points, without I/O. Port states follow the shed's <c>port_N_status</c>
/// (free, charging, finished, fault, out_of_service); a port fault code makes it <c>fault</c>; a shed-wide power cut makes a
/// free port <c>out_of_service</c>; an offline or stale shed (or gateway) makes every port <c>unknown</c>, never free.
/// </summary>
public static class ChargerAvailability
{
    public const string Free = "free";
    public const string Charging = "charging";
    public const string Finished = "finished";
    public const string Fault = "fault";
    public const string OutOfService = "out_of_service";
    public const string Unknown = "unknown";

    /// <summary>The shed's own minutes-to-full estimate, taken at the time it was read.</summary>
    public const string BasisMinutesToFull = "minutes-to-full";

    /// <summary>Plug-in time (now − charge time) plus the configured typical charge duration.</summary>
    public const string BasisTypicalDuration = "typical-duration";

    private static readonly string[] StatusNames = [Free, Charging, Finished, Fault, OutOfService];

    public static ShedView Evaluate(ShedFacts facts, ChargerTiming timing, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(timing);
        var total = PortCount(facts.Points);
        var newest = facts.Points.Count == 0 ? facts.LastSeen : facts.Points.Values.Max(p => p.Ts);
        var lastUpdate = newest > facts.LastSeen ? newest : facts.LastSeen;
        var (status, reason) = DeviceLink.Of("shed", facts.DeviceState, facts.GatewayState, facts.LastSeen, now, timing.StaleAfter);
        if (status != DeviceLink.Online)
        {
            var unknown = Enumerable.Range(1, total).Select(n => new PortView(n, Unknown, null, null, Reading(facts.Points, n, "status")?.Ts)).ToList();
            return new ShedView(facts.Device, facts.Building, status, reason, null, total, $"unknown ({reason})", lastUpdate, unknown);
        }

        var cut = PowerCut(facts.Points);
        var ports = Enumerable.Range(1, total).Select(n => Port(facts.Points, n, cut is not null, timing, now)).ToList();
        var free = ports.Count(p => p.State == Free);
        return new ShedView(
            facts.Device, facts.Building, cut is null ? "available" : "power-cut", cut, free, total,
            string.Create(CultureInfo.InvariantCulture, $"{free} of {total} free"), lastUpdate, ports);
    }

    private static string? PowerCut(IReadOnlyDictionary<string, PointReading> points) =>
        Is(points, "smoke", 1) ? "smoke alarm: charging power cut"
        : Is(points, "over_temperature", 1) ? "over-temperature: charging power cut"
        : Is(points, "mains_ok", 0) ? "mains power lost"
        : Is(points, "power_cut_off", 1) ? "charging power cut"
        : null;

    private static bool Is(IReadOnlyDictionary<string, PointReading> points, string point, double value) =>
        points.TryGetValue(point, out var reading) && reading.Value == value;

    private static PortView Port(IReadOnlyDictionary<string, PointReading> points, int n, bool cut, ChargerTiming timing, DateTimeOffset now)
    {
        if (Reading(points, n, "status") is not { } status)
        {
            return new PortView(n, Unknown, null, null, null);
        }

        var code = (int)status.Value;
        var state = code >= 0 && code < StatusNames.Length && code == status.Value ? StatusNames[code] : Unknown;
        if (Reading(points, n, "fault_code") is { Value: not 0 })
        {
            state = Fault;
        }
        else if (cut && state == Free)
        {
            state = OutOfService;
        }

        if (state != Charging)
        {
            return new PortView(n, state, null, null, status.Ts);
        }

        var (at, basis) = ExpectedFree(points, n, status, timing);
        return new PortView(n, state, at < now ? now : at, basis, status.Ts);
    }

    /// <summary>
    /// When a charging port should be free: the shed's own minutes-to-full counted from when it was read; without it,
    /// the plug-in time (read time − charge time) plus the typical charge duration; without either, the status's time
    /// plus the typical duration. Shown no earlier than now.
    /// </summary>
    private static (DateTimeOffset At, string Basis) ExpectedFree(IReadOnlyDictionary<string, PointReading> points, int n, PointReading status, ChargerTiming timing)
    {
        if (Reading(points, n, "minutes_to_full") is { Value: > 0 } toFull)
        {
            return (toFull.Ts + TimeSpan.FromMinutes(toFull.Value), BasisMinutesToFull);
        }

        var pluggedIn = Reading(points, n, "charge_time") is { } chargeTime ? chargeTime.Ts - TimeSpan.FromMinutes(chargeTime.Value) : status.Ts;
        return (pluggedIn + timing.TypicalChargeDuration, BasisTypicalDuration);
    }

    private static PointReading? Reading(IReadOnlyDictionary<string, PointReading> points, int port, string name) =>
        points.GetValueOrDefault(string.Create(CultureInfo.InvariantCulture, $"port_{port}_{name}"));

    /// <summary>The shed's <c>port_count</c>, or the highest port number it published a status for.</summary>
    public static int PortCount(IReadOnlyDictionary<string, PointReading> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.TryGetValue("port_count", out var count) && count.Value is >= 1 and <= 1000)
        {
            return (int)count.Value;
        }

        var highest = 0;
        foreach (var point in points.Keys)
        {
            if (point.StartsWith("port_", StringComparison.Ordinal) && point.EndsWith("_status", StringComparison.Ordinal)
                && int.TryParse(point.AsSpan(5, point.Length - 5 - 7), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                highest = Math.Max(highest, n);
            }
        }

        return highest;
    }
}

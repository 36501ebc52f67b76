using System.Globalization;

namespace Facilities.Cloud.Domain.Elevators;

/// <summary>A fault of the last 30 days as the score weighs it.</summary>
public sealed record FaultRecord(string RuleId, string Severity, DateTimeOffset At);

/// <summary>An open work order as the score weighs it.</summary>
public sealed record OpenOrderRecord(long Id, string Type, bool Breached);

/// <summary>What the score is computed from; <c>ServiceMode</c> and <c>FaultCode</c> are the controller's numbers (null when never read).</summary>
public sealed record ElevatorHealthInput(
    string Link, int? ServiceMode, int? FaultCode, string? FaultLabel, IReadOnlyList<FaultRecord> Faults,
    DateTimeOffset? NextMaintenance, IReadOnlyList<OpenOrderRecord> OpenOrders);

/// <summary>One reason the score is below 100: a stable code, a sentence, and the points it took.</summary>
public sealed record HealthReason(string Code, string Text, int Points);

public sealed record ElevatorHealthResult(int Score, IReadOnlyList<HealthReason> Reasons);

/// <summary>
/// The elevator health score, 0–100, explained: it starts at 100 and every reason that lowered it is listed with its
/// points. Pure: no I/O, no clock of its own. The weights are documented in docs/read-models.md.
/// </summary>
public static class ElevatorHealthScore
{
    public const int FaultCap = 40;
    public const int OrdersCap = 15;

    public static ElevatorHealthResult Evaluate(ElevatorHealthInput input, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(input);
        List<HealthReason> reasons = [];
        if (input.Link != "online")
        {
            reasons.Add(new("no-data", $"no current data: the elevator's link is {input.Link}", 30));
        }

        switch (input.ServiceMode)
        {
            case 5:
                reasons.Add(new("out-of-service", "the controller reports out of service", 30));
                break;
            case 2 or 3:
                reasons.Add(new("fire-service", "in fire service (fire return or firefighter mode)", 20));
                break;
            case 4:
                reasons.Add(new("emergency-power", "running on emergency power", 15));
                break;
        }

        if (input.FaultCode is { } code and not 0 && input.ServiceMode != 1)
        {
            reasons.Add(new("fault-active", $"fault active now: {input.FaultLabel ?? code.ToString(CultureInfo.InvariantCulture)}", 30));
        }

        if (input.Faults.Count > 0)
        {
            var critical = input.Faults.Count(f => f.Severity == "critical");
            var points = Math.Min(FaultCap, (critical * 8) + ((input.Faults.Count - critical) * 4));
            reasons.Add(new("faults-30d",
                string.Create(CultureInfo.InvariantCulture, $"{input.Faults.Count} fault(s) in the last 30 days ({critical} critical; 8 points each, 4 for others, at most {FaultCap})"),
                points));
        }

        if (input.NextMaintenance is not { } next)
        {
            reasons.Add(new("maintenance-unknown", "no routine maintenance on record", 10));
        }
        else if (next < now)
        {
            var days = (int)Math.Floor((now - next).TotalDays);
            reasons.Add(new("maintenance-overdue",
                string.Create(CultureInfo.InvariantCulture, $"routine maintenance overdue since {next:yyyy-MM-dd} ({days} day(s); 15 points + 1 a day, at most 25)"),
                Math.Min(25, 15 + days)));
        }

        var corrective = input.OpenOrders.Count(o => o.Type != "preventive");
        if (corrective > 0)
        {
            reasons.Add(new("open-work-orders",
                string.Create(CultureInfo.InvariantCulture, $"{corrective} open corrective work order(s) (5 points each, at most {OrdersCap})"),
                Math.Min(OrdersCap, corrective * 5)));
        }

        if (input.OpenOrders.Any(o => o.Breached))
        {
            reasons.Add(new("deadline-breached", "an open work order is past its deadline", 10));
        }

        reasons.Sort((a, b) => b.Points.CompareTo(a.Points));
        return new ElevatorHealthResult(Math.Max(0, 100 - reasons.Sum(r => r.Points)), reasons);
    }

    /// <summary>
    /// Mean time between faults over a window: the window divided by the number of faults in it; null without a fault.
    /// </summary>
    public static TimeSpan? MeanTimeBetweenFaults(int faults, TimeSpan window) => faults > 0 ? window / faults : null;
}

namespace Facilities.Cloud.Domain.Alerts;

/// <summary>Where an alert is in its lifecycle: pending → firing → acknowledged → resolved.</summary>
public enum AlertState
{
    /// <summary>The condition holds but has not held for the rule's <c>for</c> yet: recorded, notifies nobody.</summary>
    Pending,

    /// <summary>The condition held long enough: people are paged (unless suppressed).</summary>
    Firing,

    /// <summary>A person took it on; it stays open until the condition clears or a person resolves it.</summary>
    Acknowledged,

    /// <summary>Over: the condition cleared (by the system) or a person resolved it. Never reopened; a new alert opens instead.</summary>
    Resolved,
}

/// <summary>The names states have in the database, the API and notices (they never change).</summary>
public static class AlertStates
{
    public const string Pending = "pending";

    public const string Firing = "firing";

    public const string Acknowledged = "acknowledged";

    public const string Resolved = "resolved";

    public static string Name(this AlertState state) => state switch
    {
        AlertState.Pending => Pending,
        AlertState.Firing => Firing,
        AlertState.Acknowledged => Acknowledged,
        AlertState.Resolved => Resolved,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not an alert state"),
    };

    /// <summary>A stored state name as the enum; null for anything else.</summary>
    public static AlertState? Parse(string? name) => name switch
    {
        Pending => AlertState.Pending,
        Firing => AlertState.Firing,
        Acknowledged => AlertState.Acknowledged,
        Resolved => AlertState.Resolved,
        _ => null,
    };

    /// <summary>Paged and not over: what counts as an active alert (rules apply hysteresis to it).</summary>
    public static bool IsActive(this AlertState state) => state is AlertState.Firing or AlertState.Acknowledged;
}

namespace Facilities.Cloud.Alerts;

/// <summary>What happened to an alert, as observers (notification channels, work orders) are told it.</summary>
public sealed record AlertNotice(long AlertId, string Site, string Building, string Device, string Kind, string RuleId,
    string Severity, string State, string Title, string? Detail,
    double? Value, DateTimeOffset At, string? AcknowledgedBy = null);

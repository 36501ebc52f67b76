using Facilities.Cloud.Domain.Maintenance;

namespace Facilities.Cloud.Alerts;

/// <summary>Configuration section <c>Maintenance</c>: the declared windows.</summary>
public sealed class MaintenanceSchedule
{
    public IReadOnlyList<MaintenanceWindow> Windows { get; init; } = [];

    /// <summary>The reason a device is in maintenance now, or null (<see cref="MaintenanceWindows.Covering"/>).</summary>
    public string? Covers(string site, string building, string device, DateTimeOffset now) => MaintenanceWindows.Covering(Windows, site, building, device, now);
}

namespace Facilities.Cloud.Alerts;

/// <summary>A declared maintenance window: alerts of the devices it covers are recorded but notify nobody.</summary>
public sealed class MaintenanceWindow
{
    public string Site { get; set; } = "";

    /// <summary>One device; empty with <see cref="Building"/> empty means the whole site.</summary>
    public string? Device { get; set; }

    public string? Building { get; set; }

    public DateTimeOffset From { get; set; }

    public DateTimeOffset To { get; set; }

    public string Reason { get; set; } = "maintenance window";
}

/// <summary>Configuration section <c>Maintenance</c>: the declared windows.</summary>
public sealed class MaintenanceSchedule
{
    public IReadOnlyList<MaintenanceWindow> Windows { get; set; } = [];

    /// <summary>The reason a device is in maintenance now, or null.</summary>
    public string? Covers(string site, string building, string device, DateTimeOffset now) =>
        Windows.FirstOrDefault(w => w.Site == site && now >= w.From && now < w.To
            && (string.IsNullOrEmpty(w.Device) || w.Device == device)
            && (string.IsNullOrEmpty(w.Building) || w.Building == building)) is { } window
            ? $"{window.Reason} (until {window.To:yyyy-MM-dd HH:mm} UTC)"
            : null;
}

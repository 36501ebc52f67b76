namespace Facilities.Cloud.Domain.Maintenance;

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

/// <summary>Which declared maintenance window covers a device at a moment, without I/O.</summary>
public static class MaintenanceWindows
{
    /// <summary>
    /// Why the device is in maintenance at <paramref name="now"/> (the first window of its site that covers it, from its
    /// <c>From</c> up to but not including its <c>To</c>), or null. A window without device and building covers the site.
    /// </summary>
    public static string? Covering(IEnumerable<MaintenanceWindow> windows, string site, string building, string device, DateTimeOffset now) =>
        windows.FirstOrDefault(w => w.Site == site && now >= w.From && now < w.To
            && (string.IsNullOrEmpty(w.Device) || w.Device == device)
            && (string.IsNullOrEmpty(w.Building) || w.Building == building)) is { } window
            ? $"{window.Reason} (until {window.To:yyyy-MM-dd HH:mm} UTC)"
            : null;
}

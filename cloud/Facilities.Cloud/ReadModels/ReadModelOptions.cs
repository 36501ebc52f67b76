namespace Facilities.Cloud.ReadModels;

/// <summary>Configuration section <c>ReadModels</c>: how the charger and elevator views read the stream.</summary>
internal sealed class ReadModelOptions
{
    /// <summary>
    /// A device not heard for this long is stale: its shed's ports show <c>unknown</c>, never <c>free</c>. Twice the
    /// shipped profiles' 5-minute heartbeat, so one lost heartbeat is not yet an outage.
    /// </summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(11);

    /// <summary>How long a charge usually lasts, for a busy port whose shed does not publish minutes to full.</summary>
    public TimeSpan TypicalChargeDuration { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Routine elevator maintenance interval (at least every 15 days, DOMAIN.md).</summary>
    public TimeSpan ElevatorMaintenanceInterval { get; init; } = TimeSpan.FromDays(15);

    /// <summary>
    /// Last routine maintenance done before the cloud kept records: <c>site/device</c> or <c>site</c> → date. The newer
    /// of this and the last resolved preventive order counts.
    /// </summary>
    public Dictionary<string, DateTimeOffset> LastMaintenance { get; init; } = new(StringComparer.Ordinal);

    public DateTimeOffset? ConfiguredLastMaintenance(string site, string device) =>
        LastMaintenance.TryGetValue($"{site}/{device}", out var at) ? at
        : LastMaintenance.TryGetValue(site, out var siteWide) ? siteWide
        : null;

    /// <summary>Start-up check; returns the problems found, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        List<string> errors = [];
        if (StaleAfter <= TimeSpan.Zero)
        {
            errors.Add($"'StaleAfter' must be positive; got {StaleAfter}");
        }

        if (TypicalChargeDuration <= TimeSpan.Zero)
        {
            errors.Add($"'TypicalChargeDuration' must be positive; got {TypicalChargeDuration}");
        }

        if (ElevatorMaintenanceInterval <= TimeSpan.Zero)
        {
            errors.Add($"'ElevatorMaintenanceInterval' must be positive; got {ElevatorMaintenanceInterval}");
        }

        return errors;
    }
}

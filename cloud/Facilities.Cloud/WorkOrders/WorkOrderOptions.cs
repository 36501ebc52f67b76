namespace Facilities.Cloud.WorkOrders;

/// <summary>Configuration section <c>WorkOrders</c>.</summary>
public sealed class WorkOrderOptions
{
    /// <summary>How often the SLA monitor looks for passed deadlines.</summary>
    public TimeSpan SlaInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Who a team's orders go to: team → (<c>site/building</c>, <c>site</c> or <c>*</c>) → assignee. The most specific
    /// key wins; no match leaves the order open for a dispatcher to assign.
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> Teams { get; set; } = new(StringComparer.Ordinal);

    public string? AssigneeFor(string? team, string site, string building)
    {
        if (team is null || !Teams.TryGetValue(team, out var areas))
        {
            return null;
        }

        return areas.GetValueOrDefault($"{site}/{building}") ?? areas.GetValueOrDefault(site) ?? areas.GetValueOrDefault("*");
    }
}

namespace Facilities.Cloud.Domain.WorkOrders;

/// <summary>Who a new work order goes to, without I/O.</summary>
public static class WorkOrderRouting
{
    /// <summary>
    /// The assignee of <paramref name="team"/>'s orders at <paramref name="site"/>/<paramref name="building"/>, from
    /// <paramref name="teams"/> (team → <c>site/building</c>, <c>site</c> or <c>*</c> → assignee): the most specific key
    /// wins; null (the order stays open for a dispatcher) when the team or the area has nobody.
    /// </summary>
    public static string? AssigneeFor(IReadOnlyDictionary<string, Dictionary<string, string>> teams, string? team, string site, string building)
    {
        ArgumentNullException.ThrowIfNull(teams);
        if (team is null || !teams.TryGetValue(team, out var areas))
        {
            return null;
        }

        return areas.GetValueOrDefault($"{site}/{building}") ?? areas.GetValueOrDefault(site) ?? areas.GetValueOrDefault("*");
    }
}

using System.Data.Common;
using Dapper;

namespace Facilities.Cloud.WorkOrders;

/// <summary>A row of the work_orders table.</summary>
public sealed record WorkOrderRow
{
    public long Id { get; init; }

    public string Site { get; init; } = "";

    public string Building { get; init; } = "";

    public string Device { get; init; } = "";

    public string Kind { get; init; } = "";

    public string RuleId { get; init; } = "";

    public long? AlertId { get; init; }

    public string Title { get; init; } = "";

    public string Severity { get; init; } = "";

    public string Priority { get; init; } = "";

    public string Status { get; init; } = "";

    public string? Team { get; init; }

    public string? Assignee { get; init; }

    public long? RespondBy { get; init; }

    public long? ResolveBy { get; init; }

    public long? RespondedAt { get; init; }

    public long? ResolvedAt { get; init; }

    public long? ClosedAt { get; init; }

    public long? RespondBreachedAt { get; init; }

    public long? ResolveBreachedAt { get; init; }

    public long CreatedAt { get; init; }

    public long UpdatedAt { get; init; }

    /// <summary>Appends to an order's timeline.</summary>
    public static Task<int> AppendAsync(DbConnection connection, DbTransaction transaction, long orderId, long at, string action, string actor, string? detail, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO work_order_events (order_id, at, action, actor, detail) VALUES (@orderId, @at, @action, @actor, @detail)",
            new { orderId, at, action, actor, detail }, transaction, cancellationToken: cancellationToken));
}

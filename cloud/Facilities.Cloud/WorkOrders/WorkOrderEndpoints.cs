using System.Security.Claims;
using Facilities.Cloud.Access;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.WorkOrders;

/// <summary>
/// A work order as the API shows it; <c>Type</c> is <c>corrective</c> (from an alert) or <c>preventive</c> (from a
/// schedule); <c>Breached</c> lists the deadlines that passed (<c>respond</c>, <c>resolve</c>). <c>Rescue</c> orders
/// (entrapments) add the crew's arrival and the passenger's release; their <c>RespondBy</c> is the arrival deadline.
/// </summary>
internal sealed record WorkOrderView(
    long Id, string Type, string Site, string Building, string Device, string Kind, string RuleId, long? AlertId, string Title, string Severity,
    string Priority, string Status, string? Team, string? Assignee, DateTimeOffset? RespondBy, DateTimeOffset? ResolveBy,
    DateTimeOffset? RespondedAt, DateTimeOffset? ResolvedAt, DateTimeOffset? ClosedAt, IReadOnlyList<string> Breached,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyDictionary<string, string>? Attributes = null, bool Rescue = false, DateTimeOffset? ArrivedAt = null, DateTimeOffset? ReleasedAt = null)
{
    /// <summary>The API's view of an order, with its device's attributes from the site file when <paramref name="rules"/> is given.</summary>
    public static WorkOrderView From(WorkOrderRow r, RuleSet? rules = null) => new(
        r.Id, WorkOrderLifecycle.TypeOf(r.RuleId), r.Site, r.Building, r.Device, r.Kind, r.RuleId, r.AlertId, r.Title, r.Severity, r.Priority, r.Status, r.Team, r.Assignee,
        UnixTime.FromMs(r.RespondBy), UnixTime.FromMs(r.ResolveBy), UnixTime.FromMs(r.RespondedAt), UnixTime.FromMs(r.ResolvedAt), UnixTime.FromMs(r.ClosedAt),
        r.Breached,
        UnixTime.FromMs(r.CreatedAt), UnixTime.FromMs(r.UpdatedAt), rules?.Attributes(r.Site, r.Device), r.Rescue != 0, UnixTime.FromMs(r.ArrivedAt), UnixTime.FromMs(r.ReleasedAt));
}

/// <summary>One entry of a work order's timeline.</summary>
internal sealed record WorkOrderEventView(DateTimeOffset At, string Action, string Actor, string? Detail);

/// <summary>Body of a state change: the assignee (assign), a note (resolve, close) or the text (note); the actor is the signed-in user.</summary>
internal sealed record WorkOrderActionRequest(string? Assignee, string? Note, string? Text);

/// <summary>
/// <c>GET /api/work-orders?status=&amp;site=&amp;limit=</c>, <c>GET /api/work-orders/{id}</c> and
/// <c>POST /api/work-orders/{id}/{assign|start|resolve|close|note|arrive|release}</c> (the last two on entrapment rescue
/// orders only). Errors are RFC 9457 problem details.
/// </summary>
internal static class WorkOrderEndpoints
{
    /// <summary>The longest assignee, in characters (a person's or a team's name, as long as a user name may be).</summary>
    public const int MaxAssigneeCharacters = 64;

    private static readonly string[] Filters = ["active", .. WorkOrderLifecycle.Statuses, "all"];

    public static void MapWorkOrderEndpoints(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/api/work-orders").RequireAuthorization(Policies.Crew);
        orders.MapGet("/", ListAsync);
        orders.MapGet("/{id:long}", GetAsync);
        orders.MapPost("/{id:long}/{action}", ChangeAsync);
    }

    private static async Task<IResult> ListAsync(string? status, string? site, int? limit, CloudDatabase database, RuleSet rules, CancellationToken cancellationToken)
    {
        status ??= "active";
        if (ApiProblem.InvalidListQuery("status", status, Filters, limit) is { } invalid)
        {
            return invalid;
        }

        var rows = await WorkOrderStore.ListAsync(database, status, site, limit ?? 200, cancellationToken);
        return Results.Json(rows.Select(r => WorkOrderView.From(r, rules)).ToList());
    }

    private static async Task<IResult> GetAsync(long id, CloudDatabase database, RuleSet rules, CancellationToken cancellationToken)
    {
        if (await WorkOrderStore.FindWithEventsAsync(database, id, cancellationToken) is not var (row, events))
        {
            return NotFound(id);
        }

        return Results.Json(new
        {
            order = WorkOrderView.From(row, rules),
            timeline = events.Select(e => new WorkOrderEventView(UnixTime.FromMs(e.At), e.Action, e.Actor, e.Detail)).ToList(),
        });
    }

    private static async Task<IResult> ChangeAsync(
        long id, string action, WorkOrderActionRequest? body, ClaimsPrincipal user, CloudDatabase database, WorkOrderTimeline timeline, AlertStore alerts, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!WorkOrderLifecycle.Actions.Contains(action))
        {
            return ApiProblem.Of(404, "unknown action", $"'{action}' is not a work-order action; use one of {string.Join(", ", WorkOrderLifecycle.Actions)}");
        }

        var by = user.Identity!.Name!;
        body ??= new WorkOrderActionRequest(null, null, null);
        if (action == "assign" && string.IsNullOrWhiteSpace(body.Assignee))
        {
            return ApiProblem.Of(400, "invalid request", "'assignee' is required to assign a work order");
        }

        if (action == "note" && string.IsNullOrWhiteSpace(body.Text))
        {
            return ApiProblem.Of(400, "invalid request", "'text' is required for a note");
        }

        if ((ApiProblem.TooLong("assignee", body.Assignee, MaxAssigneeCharacters) ?? ApiProblem.TooLong("note", body.Note, AlertEndpoints.MaxNoteCharacters)
            ?? ApiProblem.TooLong("text", body.Text, AlertEndpoints.MaxNoteCharacters)) is { } tooLong)
        {
            return tooLong;
        }

        var detail = action switch
        {
            "assign" => body.Assignee,
            "note" => body.Text,
            _ => body.Note,
        };
        var change = await WorkOrderStore.ChangeAsync(database, timeline, id, action, body.Assignee, detail, by, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        if (change.Updated is not { } updated)
        {
            return !change.Found ? NotFound(id)
                : change.Refusal is { } refusal ? ApiProblem.Of(409, "invalid state change", $"work order {id}: {refusal}")
                : Conflict(id, action, change.ConflictStatus!);
        }

        if (action == EntrapmentRescue.Arrive && updated.AlertId is { } alertId)
        {
            // Someone is at the elevator: the entrapment alert is acknowledged in their name, so its escalation stops
            // paging the next contact and the console shows who has it. Already acknowledged or resolved: nothing changes.
            await alerts.ActAsync(alertId, new AcknowledgedByPerson(by, $"arrived at the elevator (work order {id})"), time.GetUtcNow(), cancellationToken);
        }

        return Results.Json(WorkOrderView.From(updated));
    }

    private static IResult NotFound(long id) => ApiProblem.Of(404, "work order not found", $"there is no work order {id}");

    private static IResult Conflict(long id, string action, string status) =>
        ApiProblem.Of(409, "invalid state change", $"work order {id} is {status}; '{action}' is not allowed");
}

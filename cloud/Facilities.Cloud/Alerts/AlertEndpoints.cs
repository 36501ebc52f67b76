using System.Security.Claims;
using Facilities.Cloud.Access;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Rules;
using Facilities.Cloud.Http;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Alerts;

/// <summary>An alert as the API shows it.</summary>
internal sealed record AlertView(
    long Id, string Site, string Gateway, string Device, string Kind, string Building, string RuleId, string Severity, string State,
    string Title, string? Detail, double? Value, DateTimeOffset OpenedAt, DateTimeOffset? FiredAt, DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy, DateTimeOffset? ResolvedAt, string? ResolvedBy, int Occurrences, bool Flapping, string? Suppressed,
    IReadOnlyDictionary<string, string>? Attributes = null);

/// <summary>One step of an alert's audit trail.</summary>
internal sealed record AlertEventView(DateTimeOffset At, string Action, string Actor, string? Detail);

/// <summary>Body of acknowledge and resolve: an optional note (who does it is the signed-in user).</summary>
internal sealed record AlertActionRequest(string? Note);

/// <summary>
/// <c>GET /api/alerts?state=&amp;site=</c>, <c>GET /api/alerts/{id}</c>, <c>POST /api/alerts/{id}/acknowledge</c> and
/// <c>/resolve</c> (crew reads, engineers act; the actor is the signed-in user). Errors are RFC 9457 problem details naming the field at fault.
/// </summary>
internal static class AlertEndpoints
{
    /// <summary>The longest note on an alert or a work order, in characters: a few paragraphs, never a file.</summary>
    public const int MaxNoteCharacters = 2000;

    private static readonly string[] States = ["open", .. Enum.GetValues<AlertState>().Select(s => s.Name()), "all"];

    public static void MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/alerts");
        alerts.MapGet("/", ListAsync).RequireAuthorization(Policies.Crew);
        alerts.MapGet("/{id:long}", GetAsync).RequireAuthorization(Policies.Crew);
        alerts.MapPost("/{id:long}/acknowledge", (long id, AlertActionRequest? body, ClaimsPrincipal user, AlertStore store, TimeProvider time, CancellationToken ct) =>
            ChangeAsync(id, new AcknowledgedByPerson(user.Identity!.Name!, body?.Note), body, store, time, ct)).RequireAuthorization(Policies.Engineer);
        alerts.MapPost("/{id:long}/resolve", (long id, AlertActionRequest? body, ClaimsPrincipal user, AlertStore store, TimeProvider time, CancellationToken ct) =>
            ChangeAsync(id, new ResolvedByPerson(user.Identity!.Name!, body?.Note), body, store, time, ct)).RequireAuthorization(Policies.Engineer);
    }

    private static async Task<IResult> ListAsync(string? state, string? site, int? limit, AlertStore store, RuleSet rules, CancellationToken cancellationToken)
    {
        state ??= "open";
        if (ApiProblem.InvalidListQuery("state", state, States, limit) is { } invalid)
        {
            return invalid;
        }

        var rows = await store.ListAsync(state, site, limit ?? 200, cancellationToken);
        return Results.Json(rows.Select(r => View(r, rules)).ToList());
    }

    private static async Task<IResult> GetAsync(long id, AlertStore store, RuleSet rules, CancellationToken cancellationToken)
    {
        if (await store.FindAsync(id, cancellationToken) is not (var row, var events))
        {
            return ApiProblem.Of(404, "alert not found", $"there is no alert {id}");
        }

        return Results.Json(new
        {
            alert = View(row, rules),
            timeline = events.Select(e => new AlertEventView(UnixTime.FromMs(e.At), e.Action, e.Actor, e.Detail)).ToList(),
        });
    }

    /// <summary>A person's acknowledge or resolve: the lifecycle decides whether the alert's state allows it, the store writes it.</summary>
    private static async Task<IResult> ChangeAsync(long id, AlertFact fact, AlertActionRequest? body, AlertStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (ApiProblem.TooLong("note", body?.Note, MaxNoteCharacters) is { } tooLong)
        {
            return tooLong;
        }

        if (await store.ActAsync(id, fact, time.GetUtcNow(), cancellationToken) is not (var row, var transition))
        {
            return ApiProblem.Of(404, "alert not found", $"there is no alert {id}");
        }

        if (transition.Change == AlertChange.Refused)
        {
            return ApiProblem.Of(409, "invalid state change", $"alert {id} {transition.Refusal}");
        }

        return Results.Json(View(row with { State = transition.Next!.State.Name() }));
    }

    /// <summary>The API's view of an alert, with its device's attributes from the site file (registration and rescue codes).</summary>
    private static AlertView View(AlertRow r, RuleSet? rules = null) => new(
        r.Id, r.Site, r.Gateway, r.Device, r.Kind, r.Building, r.RuleId, r.Severity, r.State, r.Title, r.Detail, r.Value,
        UnixTime.FromMs(r.OpenedAt), UnixTime.FromMs(r.FiredAt), UnixTime.FromMs(r.AcknowledgedAt), r.AcknowledgedBy, UnixTime.FromMs(r.ResolvedAt), r.ResolvedBy,
        r.Occurrences, r.Flapping != 0, r.Suppressed, rules?.Attributes(r.Site, r.Device));
}

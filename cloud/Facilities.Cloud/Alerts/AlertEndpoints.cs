using System.Security.Claims;
using Dapper;
using Facilities.Cloud.Access;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.Alerts;

/// <summary>An alert as the API shows it.</summary>
public sealed record AlertView(
    long Id, string Site, string Gateway, string Device, string Kind, string Building, string RuleId, string Severity, string State,
    string Title, string? Detail, double? Value, DateTimeOffset OpenedAt, DateTimeOffset? FiredAt, DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy, DateTimeOffset? ResolvedAt, string? ResolvedBy, int Occurrences, bool Flapping, string? Suppressed);

/// <summary>One step of an alert's audit trail.</summary>
public sealed record AlertEventView(DateTimeOffset At, string Action, string Actor, string? Detail);

/// <summary>Body of acknowledge and resolve: an optional note (who does it is the signed-in user).</summary>
public sealed record AlertActionRequest(string? Note);

/// <summary>
/// <c>GET /api/alerts?state=&amp;site=</c>, <c>GET /api/alerts/{id}</c>, <c>POST /api/alerts/{id}/acknowledge</c> and
/// <c>/resolve</c> (crew reads, engineers act; the actor is the signed-in user). Errors are RFC 9457 problem details naming the field at fault.
/// </summary>
public static class AlertEndpoints
{
    /// <summary>The longest note on an alert or a work order, in characters: a few paragraphs, never a file.</summary>
    public const int MaxNoteCharacters = 2000;

    private static readonly string[] States = ["open", "pending", "firing", "acknowledged", "resolved", "all"];

    public static void MapAlertEndpoints(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/alerts");
        alerts.MapGet("/", ListAsync).RequireAuthorization(Policies.Crew);
        alerts.MapGet("/{id:long}", GetAsync).RequireAuthorization(Policies.Crew);
        alerts.MapPost("/{id:long}/acknowledge", (long id, AlertActionRequest? body, ClaimsPrincipal user, CloudDatabase database, IEnumerable<IAlertNotifier> notifiers, TimeProvider time, CancellationToken ct) =>
            ChangeAsync(id, "acknowledge", body, user.Identity!.Name!, database, notifiers, time, ct)).RequireAuthorization(Policies.Engineer);
        alerts.MapPost("/{id:long}/resolve", (long id, AlertActionRequest? body, ClaimsPrincipal user, CloudDatabase database, IEnumerable<IAlertNotifier> notifiers, TimeProvider time, CancellationToken ct) =>
            ChangeAsync(id, "resolve", body, user.Identity!.Name!, database, notifiers, time, ct)).RequireAuthorization(Policies.Engineer);
    }

    private static async Task<IResult> ListAsync(string? state, string? site, int? limit, CloudDatabase database, CancellationToken cancellationToken)
    {
        state ??= "open";
        if (!States.Contains(state))
        {
            return ApiProblem.Of(400, "invalid query", $"'state' must be one of {string.Join(", ", States)}; got '{state}'");
        }

        if (limit is < 1 or > 1000)
        {
            return ApiProblem.Of(400, "invalid query", $"'limit' must be between 1 and 1000; got {limit}");
        }

        var where = state switch
        {
            "open" => "state <> 'resolved'",
            "all" => "1 = 1",
            _ => "state = @state",
        };
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AlertRow>(new CommandDefinition(
            $"SELECT * FROM alerts WHERE {where} AND (@site IS NULL OR site = @site) ORDER BY opened_at DESC LIMIT @limit",
            new { state, site, limit = limit ?? 200 }, cancellationToken: cancellationToken));
        return Results.Json(rows.Select(View).ToList());
    }

    private static async Task<IResult> GetAsync(long id, CloudDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<AlertRow>(new CommandDefinition("SELECT * FROM alerts WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return ApiProblem.Of(404, "alert not found", $"there is no alert {id}");
        }

        var events = await connection.QueryAsync<(long At, string Action, string Actor, string? Detail)>(new CommandDefinition(
            "SELECT at, action, actor, detail FROM alert_events WHERE alert_id = @id ORDER BY at, id", new { id }, cancellationToken: cancellationToken));
        return Results.Json(new
        {
            alert = View(row),
            timeline = events.Select(e => new AlertEventView(UnixTime.FromMs(e.At), e.Action, e.Actor, e.Detail)).ToList(),
        });
    }

    private static async Task<IResult> ChangeAsync(
        long id, string action, AlertActionRequest? body, string by, CloudDatabase database, IEnumerable<IAlertNotifier> notifiers, TimeProvider time, CancellationToken cancellationToken)
    {
        if (ApiProblem.TooLong("note", body?.Note, MaxNoteCharacters) is { } tooLong)
        {
            return tooLong;
        }

        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<AlertRow>(new CommandDefinition(
            $"SELECT * FROM alerts WHERE id = @id{database.Dialect.ForUpdate}", new { id }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return ApiProblem.Of(404, "alert not found", $"there is no alert {id}");
        }

        var (allowed, set, newState) = action == "acknowledge"
            ? (row.State == "firing", "state = 'acknowledged', acknowledged_at = @now, acknowledged_by = @by", "acknowledged")
            : (row.State is "firing" or "acknowledged" or "pending", "state = 'resolved', resolved_at = @now, resolved_by = @by", "resolved");
        if (!allowed)
        {
            return ApiProblem.Of(409, "invalid state change", $"alert {id} is {row.State}; it cannot be {(action == "acknowledge" ? "acknowledged" : "resolved")}");
        }

        var ms = now.ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(new CommandDefinition($"UPDATE alerts SET {set}, updated_at = @now WHERE id = @id",
            new { id, now = ms, by }, transaction, cancellationToken: cancellationToken));
        await AlertEngine.AuditAsync(connection, transaction, id, ms, action == "acknowledge" ? "acknowledged" : "resolved", body?.Note, cancellationToken, by);
        if (row.Suppressed is null)
        {
            var notice = new AlertNotice(id, row.Site, row.Building, row.Device, row.Kind, row.RuleId, row.Severity, newState, row.Title, body?.Note ?? row.Detail, row.Value, now, by);
            foreach (var notifier in notifiers)
            {
                await notifier.EnqueueAsync(notice, connection, transaction, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return Results.Json(View(row with { State = newState }));
    }



    private static AlertView View(AlertRow r) => new(
        r.Id, r.Site, r.Gateway, r.Device, r.Kind, r.Building, r.RuleId, r.Severity, r.State, r.Title, r.Detail, r.Value,
        UnixTime.FromMs(r.OpenedAt), UnixTime.FromMs(r.FiredAt), UnixTime.FromMs(r.AcknowledgedAt), r.AcknowledgedBy, UnixTime.FromMs(r.ResolvedAt), r.ResolvedBy,
        r.Occurrences, r.Flapping != 0, r.Suppressed);


    /// <summary>A row of the alerts table.</summary>
    public sealed record AlertRow
    {
        public long Id { get; init; }

        public string Site { get; init; } = "";

        public string Gateway { get; init; } = "";

        public string Device { get; init; } = "";

        public string Kind { get; init; } = "";

        public string Building { get; init; } = "";

        public string RuleId { get; init; } = "";

        public string Severity { get; init; } = "";

        public string State { get; init; } = "";

        public string Title { get; init; } = "";

        public string? Detail { get; init; }

        public double? Value { get; init; }

        public long OpenedAt { get; init; }

        public long? FiredAt { get; init; }

        public long? AcknowledgedAt { get; init; }

        public string? AcknowledgedBy { get; init; }

        public long? ResolvedAt { get; init; }

        public string? ResolvedBy { get; init; }

        public int Occurrences { get; init; }

        public int Flapping { get; init; }

        public string? Suppressed { get; init; }
    }
}

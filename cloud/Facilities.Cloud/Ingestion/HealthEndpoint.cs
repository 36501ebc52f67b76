using System.Globalization;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// <c>GET /healthz</c> (anonymous, for load balancers and orchestrators): 200 with <c>status: ok</c>, or 503 with
/// <c>status: unhealthy</c> and a <c>reason</c> while ingestion is stalled (a batch has waited longer than
/// <c>Ingestion:StallWindow</c> without being stored).
/// </summary>
public static class HealthEndpoint
{
    public static void MapHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", (MqttIngestor ingestor, IngestionHealth health) =>
        {
            var mqtt = ingestor.Connected ? "connected" : "disconnected";
            var check = health.Check();
            if (!check.Stalled)
            {
                return Results.Json(new { status = "ok", mqtt });
            }

            var reason = string.Create(CultureInfo.InvariantCulture,
                $"ingestion stalled: a batch has waited {check.Waiting.TotalSeconds:0} s without being stored (Ingestion:StallWindow is {check.StallWindow})")
                + (check.LastError is { } error ? $"; last error: {error}" : "");
            return Results.Json(new { status = "unhealthy", mqtt, reason, lastStored = check.LastStored, failures = check.Failures }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous();
}

using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// A part of the cloud that can make <c>/healthz</c> answer degraded: the cloud works and must not be taken out of a load
/// balancer, but something needs an operator (telemetry history lost or waiting, for instance).
/// </summary>
internal interface IHealthConcern
{
    /// <summary>Why the cloud is degraded now, naming the setting or server involved; null when all is well.</summary>
    string? Reason();
}

/// <summary>
/// <c>GET /healthz</c> (anonymous, for load balancers and orchestrators): 200 with <c>status: ok</c>; 200 with
/// <c>status: degraded</c> and a <c>reason</c> while an <see cref="IHealthConcern"/> has one; or 503 with
/// <c>status: unhealthy</c> and a <c>reason</c> while ingestion is stalled (a batch has waited longer than
/// <c>Ingestion:StallWindow</c> without being stored).
/// </summary>
internal static class HealthEndpoint
{
    public static void MapHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", (MqttIngestor ingestor, IngestionHealth health, [FromServices] IEnumerable<IHealthConcern> concerns) =>
        {
            var mqtt = ingestor.Connected ? "connected" : "disconnected";
            var check = health.Check();
            if (!check.Stalled)
            {
                var reasons = concerns.Select(c => c.Reason()).OfType<string>().ToList();
                return reasons.Count == 0
                    ? Results.Json(new { status = "ok", mqtt })
                    : Results.Json(new { status = "degraded", mqtt, reason = string.Join("; ", reasons) });
            }

            var reason = string.Create(CultureInfo.InvariantCulture,
                $"ingestion stalled: a batch has waited {check.Waiting.TotalSeconds:0} s without being stored (Ingestion:StallWindow is {check.StallWindow})")
                + (check.LastError is { } error ? $"; last error: {error}" : "");
            return Results.Json(new { status = "unhealthy", mqtt, reason, lastStored = check.LastStored, failures = check.Failures }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous();
}

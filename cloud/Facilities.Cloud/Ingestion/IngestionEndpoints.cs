using System.Text;
using Facilities.Cloud.Access;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.Ingestion;

/// <summary>
/// What ingestion has done: <c>GET /api/ingestion</c> (counters and, per gateway, the sequence numbers never received)
/// and <c>GET /api/dead-letters</c> (refused messages with the reason).
/// </summary>
internal static class IngestionEndpoints
{
    public static void MapIngestionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/ingestion", async (IngestMetrics metrics, IngestionOptions options, CloudDatabase database, TimeProvider time, CancellationToken ct) =>
        {
            await using var connection = await database.OpenAsync(ct);
            var gaps = await SequenceGapStore.FindAsync(connection, time.GetUtcNow(), TimeSpan.FromSeconds(30), ct);
            var deadLetters = await DeadLetters.CountAsync(connection, ct);
            return Results.Json(new
            {
                accepted = metrics.Accepted,
                duplicates = metrics.Duplicates,
                deadLettered = metrics.DeadLettered,
                deadLettersStored = deadLetters,
                gaps = gaps.GroupBy(g => (g.Site, g.Gateway)).Select(g => new
                {
                    site = g.Key.Site,
                    gateway = g.Key.Gateway,
                    // A gap counts at most MaxSeqJump: a larger jump is refused at ingestion, except against the first
                    // number ever seen from a gateway, which a forged later one must not turn into billions missing.
                    missing = g.Sum(r => Math.Min(r.Last - r.First + 1, options.MaxSeqJump)),
                    ranges = g.Take(20).Select(r => new { first = r.First, last = r.Last }),
                }),
            });
        }).RequireAuthorization(Policies.Engineer);
        app.MapGet("/api/dead-letters", async (int? limit, CloudDatabase database, CancellationToken ct) =>
        {
            if (limit is < 1 or > 1000)
            {
                return ApiProblem.Of(400, "invalid query", $"'limit' must be between 1 and 1000; got {limit}");
            }

            await using var connection = await database.OpenAsync(ct);
            var rows = await DeadLetters.NewestAsync(connection, limit ?? 100, ct);
            return Results.Json(rows.Select(r => new
            {
                id = r.Id,
                receivedAt = UnixTime.FromMs(r.ReceivedAt),
                topic = r.Topic,
                reason = r.Reason,
                payload = Printable(r.Payload),
            }));
        }).RequireAuthorization(Policies.Engineer);
    }

    /// <summary>The payload as text when it is UTF-8, otherwise base64 (marked), so any bytes can be shown.</summary>
    private static string Printable(byte[] payload)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return "base64:" + Convert.ToBase64String(payload);
        }
    }
}

using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Facilities.Cloud.Access;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Http;

namespace Facilities.Cloud.Pages;

/// <summary>
/// Server-sent events that tell a page "something changed, fetch again": <c>GET /api/live/console</c> (crews; alerts,
/// work orders, devices, gateways) and <c>GET /api/live/chargers?site=</c> (public; charger sheds only, so it reveals no
/// more than the charger API). Each stream compares a small fingerprint read from the database every
/// <see cref="PageOptions.LiveInterval"/>, so a change made through any cloud instance reaches every open page.
/// </summary>
internal static class LiveEndpoints
{
    public const string ChangeEvent = "change";
    public const string PingEvent = "ping";

    public static void MapLiveEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/live/console", (HttpContext context, LiveStreamGate gate, CloudDatabase database, PageOptions options, TimeProvider time, CancellationToken ct) =>
            Stream(context, gate, Changes(c => LiveStore.ConsoleFingerprintAsync(database, c), options, time, ct))).RequireAuthorization(Policies.Crew);
        app.MapGet("/api/live/chargers", (string? site, HttpContext context, LiveStreamGate gate, CloudDatabase database, PageOptions options, TimeProvider time, CancellationToken ct) =>
            Stream(context, gate, Changes(c => LiveStore.ChargerFingerprintAsync(database, site, c), options, time, ct))).AllowAnonymous();
    }

    /// <summary>The stream, if the client and the instance are under their limits (<see cref="LiveStreamGate"/>); 429 problem details otherwise.</summary>
    private static IResult Stream(HttpContext context, LiveStreamGate gate, IAsyncEnumerable<SseItem<string>> changes)
    {
        if (gate.TryEnter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", out var refusal) is not { } lease)
        {
            context.Response.Headers.RetryAfter = "30";
            return ApiProblem.Of(StatusCodes.Status429TooManyRequests, "too many live streams", refusal!);
        }

        context.Response.RegisterForDispose(lease); // released when the request ends, however the stream stops
        return TypedResults.ServerSentEvents(changes);
    }

    /// <summary>A <c>change</c> event at once and whenever the fingerprint moves; a <c>ping</c> after a quiet half-minute keeps proxies from closing the stream.</summary>
    public static async IAsyncEnumerable<SseItem<string>> Changes(
        Func<CancellationToken, Task<string>> fingerprint, PageOptions options, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        string? last = null;
        var quiet = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            string now;
            try
            {
                now = await fingerprint(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            if (now != last)
            {
                last = now;
                quiet = TimeSpan.Zero;
                yield return new SseItem<string>(now, ChangeEvent) { ReconnectionInterval = TimeSpan.FromSeconds(3) };
            }
            else if ((quiet += options.LiveInterval) >= TimeSpan.FromSeconds(30))
            {
                quiet = TimeSpan.Zero;
                yield return new SseItem<string>(string.Empty, PingEvent);
            }

            try
            {
                await Task.Delay(options.LiveInterval, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}

using System.Globalization;
using System.Net.Mime;
using System.Text;
using System.Text.Json;

namespace Facilities.Cloud.Notifications;

/// <summary>The HTTP part the webhook and robot channels share: POST a JSON document, read what came back.</summary>
internal static class HttpDelivery
{
    private const int MaxRecorded = 300;

    public static async Task<(int Status, string Body)> PostJsonAsync(
        HttpClient http, Uri url, string json, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, MediaTypeNames.Application.Json) };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return ((int)response.StatusCode, body);
    }

    /// <summary>A URL as recorded and shown: without its query, which carries robot keys and access tokens.</summary>
    public static string Display(Uri url) => url.GetLeftPart(UriPartial.Path);

    /// <summary>A plain webhook: any 2xx status is delivered.</summary>
    public static DeliveryResult FromStatus(int status, string body) =>
        status is >= 200 and < 300 ? DeliveryResult.Ok(Describe(status, body)) : DeliveryResult.Failed(Describe(status, body));

    /// <summary>
    /// A WeCom or DingTalk robot: HTTP 200 with <c>{"errcode":0}</c> is delivered; any other errcode (bad key, bad
    /// signature, rate limit, content rejected) is a failure, recorded with the robot's errcode and errmsg.
    /// </summary>
    public static DeliveryResult FromRobotReply(int status, string body)
    {
        if (status is < 200 or >= 300)
        {
            return DeliveryResult.Failed(Describe(status, body));
        }

        RobotReply? reply;
        try
        {
            reply = JsonSerializer.Deserialize(body, NotificationJsonContext.Default.RobotReply);
        }
        catch (JsonException)
        {
            reply = null;
        }

        return reply switch
        {
            null => DeliveryResult.Failed($"{Describe(status, body)} (not a robot reply)"),
            { Errcode: 0 } => DeliveryResult.Ok(Describe(status, body)),
            _ => DeliveryResult.Failed(string.Create(CultureInfo.InvariantCulture, $"errcode {reply.Errcode}: {reply.Errmsg}")),
        };
    }

    private static string Describe(int status, string body)
    {
        var text = body.ReplaceLineEndings(" ").Trim();
        if (text.Length > MaxRecorded)
        {
            text = string.Concat(text.AsSpan(0, MaxRecorded), "…");
        }

        return string.Create(CultureInfo.InvariantCulture, $"HTTP {status}{(text.Length == 0 ? string.Empty : " " + text)}");
    }
}

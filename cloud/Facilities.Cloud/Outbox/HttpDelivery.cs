using System.Globalization;
using System.Net.Mime;
using System.Text;

namespace Facilities.Cloud.Outbox;

/// <summary>
/// The one HTTP path for webhook-like sends (notification webhooks and robots, the work-order webhook): POST a JSON
/// document with the caller's headers, read what came back, and describe it the same way for every kind.
/// </summary>
internal static class HttpDelivery
{
    private const int MaxRecorded = 300;

    public static async Task<(int Status, string Body)> PostJsonAsync(
        HttpClient http, Uri url, string json, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
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
    public static string Display(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.GetLeftPart(UriPartial.Path);
    }

    /// <summary>A plain webhook: any 2xx status is delivered.</summary>
    public static DeliveryResult FromStatus(int status, string body) =>
        status is >= 200 and < 300 ? DeliveryResult.Ok(Describe(status, body)) : DeliveryResult.Failed(Describe(status, body));

    /// <summary>The status and the start of the answer's body on one line, as attempts and last errors record them.</summary>
    public static string Describe(int status, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var text = body.ReplaceLineEndings(" ").Trim();
        if (text.Length > MaxRecorded)
        {
            text = string.Concat(text.AsSpan(0, MaxRecorded), "…");
        }

        return string.Create(CultureInfo.InvariantCulture, $"HTTP {status}{(text.Length == 0 ? string.Empty : " " + text)}");
    }
}

using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>What became of one write request.</summary>
public enum WriteStatus
{
    /// <summary>Every line was stored (2xx).</summary>
    Written,

    /// <summary>
    /// The server refused the data (400, 413, 422): some line is bad, or the batch too big. InfluxDB 1.x may have stored
    /// the good lines of it ("partial write"); writing them again is harmless because points are idempotent.
    /// </summary>
    Refused,

    /// <summary>Worth trying again unchanged: unreachable, timeout, 5xx, 429, or a configuration the operator can fix (401, 403, 404).</summary>
    Failed,
}

/// <summary>The outcome of a write; <see cref="Error"/> carries the server's error body or the transport error.</summary>
internal sealed record WriteOutcome(WriteStatus Status, int? HttpStatus, string? Error);

/// <summary>
/// The write endpoint of InfluxDB's HTTP API, v1 (<c>POST /write?db=&amp;rp=&amp;precision=ms</c>, basic authentication) or
/// v2 (<c>POST /api/v2/write?org=&amp;bucket=&amp;precision=ms</c>, <c>Authorization: Token …</c>). Bodies from
/// <see cref="InfluxOptions.GzipThresholdBytes"/> up are gzip-compressed. Transport failures come back as
/// <see cref="WriteStatus.Failed"/> outcomes, never as exceptions (except cancellation by the caller).
/// </summary>
internal sealed class InfluxWriteApi : IDisposable
{
    private const int MaxErrorLength = 2000;
    private readonly InfluxOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _writeUri;
    private readonly AuthenticationHeaderValue? _authorization;

    public InfluxWriteApi(InfluxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _writeUri = WriteUri(options);
        _authorization = options.Version == 2
            ? new AuthenticationHeaderValue("Token", options.Token)
            : options.Username.Length > 0
                ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")))
                : null;
    }

    /// <summary>The write address with its query: database or org and bucket, and millisecond precision.</summary>
    public static Uri WriteUri(InfluxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var query = options.Version == 2
            ? $"api/v2/write?org={Uri.EscapeDataString(options.Org)}&bucket={Uri.EscapeDataString(options.Bucket)}&precision=ms"
            : $"write?db={Uri.EscapeDataString(options.Database)}"
              + (options.RetentionPolicy.Length > 0 ? $"&rp={Uri.EscapeDataString(options.RetentionPolicy)}" : string.Empty)
              + "&precision=ms";
        return new Uri(new Uri(options.Url.TrimEnd('/') + "/"), query);
    }

    public Task<WriteOutcome> WriteAsync(IReadOnlyList<string> lines, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }

        return WriteAsync([Encoding.UTF8.GetBytes(text.ToString())], cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="bodies"/> in one request, one after the other: lines of line protocol in UTF-8, each ending
    /// in <c>\n</c>, as they are kept in the history outbox (a row each).
    /// </summary>
    public async Task<WriteOutcome> WriteAsync(IReadOnlyList<byte[]> bodies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        using var request = new HttpRequestMessage(HttpMethod.Post, _writeUri) { Content = Body(bodies) };
        request.Headers.Authorization = _authorization;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                return new WriteOutcome(WriteStatus.Written, (int)response.StatusCode, null);
            }

            var answer = await response.Content.ReadAsStringAsync(timeout.Token);
            var error = answer.Length > MaxErrorLength ? answer[..MaxErrorLength] + "…" : answer;
            var status = response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableContent
                ? WriteStatus.Refused
                : WriteStatus.Failed;
            return new WriteOutcome(status, (int)response.StatusCode, $"HTTP {(int)response.StatusCode}: {error.Trim()}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WriteOutcome(WriteStatus.Failed, null, $"no answer within {_options.RequestTimeout.TotalSeconds} s");
        }
        catch (HttpRequestException error)
        {
            return new WriteOutcome(WriteStatus.Failed, null, error.InnerException is { } inner ? $"{error.Message} ({inner.Message})" : error.Message);
        }
    }

    /// <summary>The request body: the parts one after the other, gzip-compressed from <see cref="InfluxOptions.GzipThresholdBytes"/> up.</summary>
    private ByteArrayContent Body(IReadOnlyList<byte[]> parts)
    {
        var length = parts.Sum(p => (long)p.Length);
        ByteArrayContent content;
        if (length >= _options.GzipThresholdBytes)
        {
            var compressed = new MemoryStream((int)Math.Min(length / 4, int.MaxValue));
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                foreach (var part in parts)
                {
                    gzip.Write(part);
                }
            }

            content = new ByteArrayContent(compressed.GetBuffer(), 0, (int)compressed.Length);
            content.Headers.ContentEncoding.Add("gzip");
        }
        else
        {
            content = new ByteArrayContent(parts.Count == 1 ? parts[0] : [.. parts.SelectMany(p => p)]);
        }

        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        return content;
    }

    public void Dispose() => _http.Dispose();
}

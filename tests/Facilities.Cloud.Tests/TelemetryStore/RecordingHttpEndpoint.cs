using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>
/// A request as the endpoint received it; <see cref="Body"/> is the body after gzip decoding, <see cref="Headers"/>
/// every request header by lower-case name (repeated headers joined with ", ").
/// </summary>
internal sealed record RecordedRequest(
    string Method, string Path, IReadOnlyDictionary<string, string> Query, string? Authorization, string? ContentEncoding, byte[] RawBody, string Body,
    IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A local HTTP endpoint (Kestrel on 127.0.0.1) that records every request and answers as the test says. For checking
/// the shape of requests no local server can check (InfluxDB v2), and answers a real server gives only by accident.
/// </summary>
internal sealed class RecordingHttpEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingHttpEndpoint(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public static async Task<RecordingHttpEndpoint> StartAsync(Func<RecordedRequest, (int Status, string Body)> answer, CancellationToken cancellationToken)
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var endpoint = new RecordingHttpEndpoint(app, url);
        app.Run(async context =>
        {
            using var raw = new MemoryStream();
            await context.Request.Body.CopyToAsync(raw, context.RequestAborted);
            var bytes = raw.ToArray();
            var encoding = context.Request.Headers.ContentEncoding.FirstOrDefault();
            var body = encoding == "gzip" ? Gunzip(bytes) : Encoding.UTF8.GetString(bytes);
            var request = new RecordedRequest(
                context.Request.Method, context.Request.Path.Value ?? "",
                context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
                context.Request.Headers.Authorization.FirstOrDefault(), encoding, bytes, body,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal));
            endpoint.Requests.Enqueue(request);
            var (status, text) = answer(request);
            context.Response.StatusCode = status;
            if (text.Length > 0)
            {
                await context.Response.WriteAsync(text, context.RequestAborted);
            }
        });
        await app.StartAsync(cancellationToken);
        return endpoint;
    }

    private static string Gunzip(byte[] bytes)
    {
        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

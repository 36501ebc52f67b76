using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Facilities.Cloud.Tests.Notifications;

/// <summary>A request as the receiver saw it.</summary>
internal sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, string ContentType, string Body);

/// <summary>
/// A real HTTP server (Kestrel on 127.0.0.1 and a free port) standing in for webhook receivers and the WeCom and
/// DingTalk robot endpoints. It records every request and answers from a per-path script, then with
/// <c>{"errcode":0,"errmsg":"ok"}</c> as both robots do.
/// </summary>
internal sealed class HttpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string Body)>> _scripts = new();

    private HttpReceiver(int port)
    {
        Port = port;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    public int Port { get; }

    /// <summary>Time the receiver waits before answering (to make concurrent senders overlap).</summary>
    public TimeSpan Delay { get; set; }

    public static async Task<HttpReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var receiver = new HttpReceiver(FreePort.Next());
        await receiver._app.StartAsync(cancellationToken);
        return receiver;
    }

    public Uri Url(string pathAndQuery) => new($"http://127.0.0.1:{Port}{pathAndQuery}");

    /// <summary>The next answers on <paramref name="path"/>, in order.</summary>
    public void Script(string path, params (int Status, string Body)[] replies)
    {
        var queue = _scripts.GetOrAdd(path, _ => new());
        foreach (var reply in replies)
        {
            queue.Enqueue(reply);
        }
    }

    public IReadOnlyList<ReceivedRequest> Requests(string path) => [.. _requests.Where(r => r.Path == path)];

    public IReadOnlyList<ReceivedRequest> All => [.. _requests];

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        _requests.Enqueue(new ReceivedRequest(
            context.Request.Path.Value ?? "",
            context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            context.Request.ContentType ?? "",
            body));
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        var (status, reply) = _scripts.TryGetValue(context.Request.Path.Value ?? "", out var script) && script.TryDequeue(out var next)
            ? next
            : (200, """{"errcode":0,"errmsg":"ok"}""");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(reply, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

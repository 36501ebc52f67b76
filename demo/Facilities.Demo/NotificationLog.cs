using System.Text.Json;

namespace Facilities.Demo;

/// <summary>
/// Stands in for the team's chat or ticketing system: a local webhook receiver that appends every notification the
/// cloud sends to a file, one JSON object a line, so `tail -f` shows them arrive.
/// </summary>
public sealed class NotificationLog : IAsyncDisposable
{
    // The log is for people reading it with tail -f: Chinese titles as they are, not \u escapes.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _app;
    private readonly SemaphoreSlim _writing = new(1, 1);

    private NotificationLog(WebApplication app, string path)
    {
        _app = app;
        Path = path;
    }

    /// <summary>The file notifications are appended to.</summary>
    public string Path { get; }

    /// <summary>Where the cloud posts (the webhook channel's URL).</summary>
    public string Url { get; private set; } = "";

    public static async Task<NotificationLog> StartAsync(int port, string path, TimeProvider time, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var log = new NotificationLog(app, path);
        app.MapPost("/notifications", async (HttpRequest request, CancellationToken aborted) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: aborted);
            await log.AppendAsync(time.GetUtcNow(), body.RootElement, aborted);
            return Results.NoContent();
        });
        await app.StartAsync(cancellationToken);
        log.Url = $"{app.Urls.First()}/notifications";
        return log;
    }

    private async Task AppendAsync(DateTimeOffset received, JsonElement notice, CancellationToken cancellationToken)
    {
        var line = JsonSerializer.Serialize(
            new Dictionary<string, object>
            {
                ["received"] = received.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["notification"] = notice,
            },
            Readable);
        await _writing.WaitAsync(cancellationToken);
        try
        {
            await File.AppendAllTextAsync(Path, line + "\n", cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>The notifications received so far, oldest first.</summary>
    public async Task<IReadOnlyList<JsonElement>> ReadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        var lines = await File.ReadAllLinesAsync(Path, cancellationToken);
        return [.. lines.Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("notification").Clone())];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _writing.Dispose();
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Facilities.Testing;

/// <summary>
/// A real InfluxDB 1.6.7 (Debian's influxdb package, v1 HTTP API only) with its meta, data and WAL directories in a
/// temporary folder, HTTP and RPC bound to 127.0.0.1 on free ports. It can be stopped and started again on the same
/// port and data, as after an outage. A missing installation fails the test with the package to install.
/// </summary>
public sealed class InfluxServer : IAsyncDisposable
{
    private const string Executable = "/usr/bin/influxd";
    private readonly string _directory;
    private readonly HttpClient _http;
    private readonly int _rpcPort = FreePort.Next();
    private ChildProcess? _process;

    private InfluxServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
        Url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        _http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }

    /// <summary>The running server's process id (a benchmark counts its CPU time).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("InfluxDB is stopped");

    /// <summary>The HTTP API's base address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; }

    public static async Task<InfluxServer> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} not found: apt-get install influxdb influxdb-client (the telemetry store tests need a real InfluxDB)");
        }

        // A free port is only free until someone binds it: on a busy machine an outgoing connection of another test can
        // take it first (both come from the kernel's ephemeral range). Then influxd exits at once; try other ports.
        for (var attempt = 1; ; attempt++)
        {
            var server = new InfluxServer(Directory.CreateTempSubdirectory("influxdb-").FullName, FreePort.Next());
            try
            {
                await server.RestartAsync(cancellationToken);
                return server;
            }
            catch (InvalidOperationException error) when (attempt < 3 && error.Message.Contains("address already in use", StringComparison.Ordinal))
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>Starts (again) the server on the same port and data directory.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        var config = Path.Combine(_directory, "influxdb.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:{_rpcPort}"

            [meta]
              dir = "{_directory}/meta"

            [data]
              dir = "{_directory}/data"
              wal-dir = "{_directory}/wal"
              query-log-enabled = false

            [monitor]
              store-enabled = false

            [http]
              bind-address = "127.0.0.1:{Port}"
              log-enabled = false

            [continuous_queries]
              enabled = false
            """), cancellationToken);
        _process = ChildProcess.Start("influxd", Executable, ["-config", config]);
        await _process.WaitUntilReadyAsync(PingsAsync, $"an answer to /ping on {Port}", TimeSpan.FromSeconds(30), cancellationToken);
    }

    private async Task<bool> PingsAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var ping = await _http.GetAsync(new Uri("/ping", UriKind.Relative), cancellationToken);
            return ping.StatusCode == HttpStatusCode.NoContent;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Creates a database (a fresh name per test keeps tests independent).</summary>
    public async Task CreateDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent([new("q", $"CREATE DATABASE \"{name}\"")]);
        using var response = await _http.PostAsync(new Uri("/query", UriKind.Relative), content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode || body.Contains("\"error\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"CREATE DATABASE {name} failed: {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>Runs an InfluxQL query (<c>GET /query?db=&amp;q=</c>) and returns the parsed JSON answer.</summary>
    public async Task<JsonDocument> QueryAsync(string database, string query, CancellationToken cancellationToken)
    {
        var uri = new Uri($"/query?db={Uri.EscapeDataString(database)}&q={Uri.EscapeDataString(query)}", UriKind.Relative);
        using var response = await _http.GetAsync(uri, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"query '{query}' failed: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body);
    }

    /// <summary>
    /// The rows a query returns, one dictionary per row (column → value) with the series' name under <c>name</c> and,
    /// for GROUP BY queries, its tags; values are JSON elements (cloned, independent of the document).
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, JsonElement>>> RowsAsync(string database, string query, CancellationToken cancellationToken)
    {
        using var answer = await QueryAsync(database, query, cancellationToken);
        var rows = new List<IReadOnlyDictionary<string, JsonElement>>();
        foreach (var result in answer.RootElement.GetProperty("results").EnumerateArray())
        {
            if (result.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"query '{query}' failed: {error.GetString()}");
            }

            if (!result.TryGetProperty("series", out var series))
            {
                continue;
            }

            foreach (var serie in series.EnumerateArray())
            {
                var columns = serie.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
                foreach (var values in serie.GetProperty("values").EnumerateArray())
                {
                    var row = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { ["name"] = serie.GetProperty("name").Clone() };
                    if (serie.TryGetProperty("tags", out var tags))
                    {
                        foreach (var tag in tags.EnumerateObject())
                        {
                            row[tag.Name] = tag.Value.Clone();
                        }
                    }

                    var i = 0;
                    foreach (var value in values.EnumerateArray())
                    {
                        row[columns[i++]] = value.Clone();
                    }

                    rows.Add(row);
                }
            }
        }

        return rows;
    }

    /// <summary>Stops the server like a crash (SIGKILL); what it acknowledged is in its WAL and is there after a restart.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.KillAsync();
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

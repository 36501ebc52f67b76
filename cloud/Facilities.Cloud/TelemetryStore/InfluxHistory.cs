using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>One bucket of a history series: its start and the aggregate (null when the bucket had no reading).</summary>
internal sealed record HistoryPoint(DateTimeOffset At, double? Value);

/// <summary>
/// Reads telemetry history back from InfluxDB with InfluxQL over <c>GET /query</c>: InfluxDB 1.x natively, 2.x and 3.x
/// through their v1-compatible query API (the bucket needs a DBRP mapping, and the token is sent as with writes).
/// Only aggregates per time bucket are asked for, so a chart costs one small answer whatever the sampling rate.
/// </summary>
internal sealed class InfluxHistory : IDisposable
{
    private readonly InfluxOptions _options;
    private readonly HttpClient _http;

    public InfluxHistory(InfluxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        if (options.Enabled)
        {
            _http.BaseAddress = new Uri(options.Url.TrimEnd('/') + "/");
            _http.DefaultRequestHeaders.Authorization = options.Version == 2
                ? new AuthenticationHeaderValue("Token", options.Token)
                : options.Username.Length > 0
                    ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")))
                    : null;
        }
    }

    public bool Configured => _options.Enabled;

    /// <summary>
    /// <paramref name="aggregate"/> (<c>spread</c> for counters, <c>max</c>, <c>mean</c>) of one field of a device per
    /// bucket between two times. Identifiers are quoted and values escaped: nothing of the caller's reaches InfluxQL raw.
    /// </summary>
    public async Task<IReadOnlyList<HistoryPoint>> ReadAsync(
        string measurement, string site, string device, string field, string aggregate, DateTimeOffset from, DateTimeOffset to, TimeSpan bucket, CancellationToken cancellationToken)
    {
        if (!Configured)
        {
            throw new InvalidOperationException("no InfluxDB configured (Influx:Url)");
        }

        if (aggregate is not ("spread" or "max" or "mean" or "min"))
        {
            throw new ArgumentException($"aggregate '{aggregate}' is not one of spread, max, mean, min", nameof(aggregate));
        }

        var query = string.Create(CultureInfo.InvariantCulture,
            $"SELECT {aggregate}({Identifier(field)}) FROM {Identifier(measurement)} WHERE \"site\" = {Literal(site)} AND \"device\" = {Literal(device)} " +
            $"AND time >= {from.ToUnixTimeMilliseconds()}ms AND time < {to.ToUnixTimeMilliseconds()}ms GROUP BY time({(long)bucket.TotalSeconds}s) fill(null)");
        using var document = await QueryAsync(query, cancellationToken);
        var result = document.RootElement.GetProperty("results")[0];
        if (!result.TryGetProperty("series", out var series) || series.GetArrayLength() == 0)
        {
            return [];
        }

        return [.. series[0].GetProperty("values").EnumerateArray().Select(row => new HistoryPoint(
            DateTimeOffset.FromUnixTimeMilliseconds(row[0].GetInt64()),
            row[1].ValueKind == JsonValueKind.Number ? row[1].GetDouble() : null))];
    }

    /// <summary>How many readings of one field the site's devices have between two times (0 when there are none).</summary>
    public async Task<long> CountAsync(string measurement, string site, string field, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        const string aggregate = "count"; // InfluxQL, like ReadAsync's: not SQL, so outside a store
        var query = string.Create(CultureInfo.InvariantCulture,
            $"SELECT {aggregate}({Identifier(field)}) FROM {Identifier(measurement)} WHERE \"site\" = {Literal(site)} " +
            $"AND time >= {from.ToUnixTimeMilliseconds()}ms AND time < {to.ToUnixTimeMilliseconds()}ms");
        using var document = await QueryAsync(query, cancellationToken);
        var result = document.RootElement.GetProperty("results")[0];
        return result.TryGetProperty("series", out var series) && series.GetArrayLength() > 0 ? series[0].GetProperty("values")[0][1].GetInt64() : 0;
    }

    private static string Identifier(string name) => "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>Runs one InfluxQL query; throws <see cref="HttpRequestException"/> naming what InfluxDB said when it refuses.</summary>
    private async Task<JsonDocument> QueryAsync(string query, CancellationToken cancellationToken)
    {
        if (!Configured)
        {
            throw new InvalidOperationException("no InfluxDB configured (Influx:Url)");
        }

        var database = _options.Version == 2 ? _options.Bucket : _options.Database;
        var uri = $"query?db={Uri.EscapeDataString(database)}&epoch=ms&q={Uri.EscapeDataString(query)}";
        using var response = await _http.GetAsync(new Uri(uri, UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"InfluxDB answered {(int)response.StatusCode} to a history query: {body}");
        }

        var document = JsonDocument.Parse(body);
        if (document.RootElement.GetProperty("results")[0].TryGetProperty("error", out var error))
        {
            document.Dispose();
            throw new HttpRequestException($"InfluxDB refused a history query: {error.GetString()}");
        }

        return document;
    }

    public void Dispose() => _http.Dispose();
}

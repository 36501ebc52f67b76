using System.Globalization;
using System.Text.RegularExpressions;

namespace Facilities.Gateway.Benchmarks.Processes;

/// <summary>One device's counters from the gateway's Prometheus endpoint.</summary>
internal sealed record DeviceCounters(long Polls, long Failures, long ExceptionAnswers);

/// <summary>The counters the benchmark needs from <c>GET /metrics</c>.</summary>
internal sealed partial record MetricsScrape(IReadOnlyDictionary<string, DeviceCounters> Devices, long Published)
{
    public static async Task<MetricsScrape> ReadAsync(int port, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        return Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), cancellationToken));
    }

    public static MetricsScrape Parse(string text)
    {
        var polls = new Dictionary<string, long>(StringComparer.Ordinal);
        var failures = new Dictionary<string, long>(StringComparer.Ordinal);
        var exceptions = new Dictionary<string, long>(StringComparer.Ordinal);
        long published = 0;
        foreach (var line in text.Split('\n'))
        {
            var m = DeviceLine().Match(line);
            if (m.Success)
            {
                var value = (long)double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
                var target = m.Groups[1].Value switch { "polls" => polls, "failures" => failures, "exception_answers" => exceptions, _ => null };
                target?.Add(m.Groups[2].Value, value);
            }
            else if (line.StartsWith("facilities_gateway_published_total ", StringComparison.Ordinal))
            {
                published = (long)double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            }
        }

        return new MetricsScrape(
            polls.ToDictionary(p => p.Key, p => new DeviceCounters(p.Value, failures.GetValueOrDefault(p.Key), exceptions.GetValueOrDefault(p.Key))),
            published);
    }

    /// <summary>Counters of each device from <paramref name="before"/> to this scrape.</summary>
    public IReadOnlyDictionary<string, DeviceCounters> Since(MetricsScrape before) => Devices.ToDictionary(
        d => d.Key,
        d => before.Devices.TryGetValue(d.Key, out var b)
            ? new DeviceCounters(d.Value.Polls - b.Polls, d.Value.Failures - b.Failures, d.Value.ExceptionAnswers - b.ExceptionAnswers)
            : d.Value);

    [GeneratedRegex(@"^facilities_gateway_device_(polls|failures|exception_answers)_total\{device=""([^""]+)""\} (\S+)$")]
    private static partial Regex DeviceLine();
}

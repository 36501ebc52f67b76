using Facilities.Cloud.Domain.Rules;

namespace Facilities.Cloud.Alerts;

/// <summary>
/// The recent samples of the points windowed rules read (a boiler's NOx for its hourly mean, its burner-start counter
/// for starts per hour), per site, device and point, trimmed to the longest window that reads them. Held in memory:
/// after a restart, or when another instance takes a gateway's stream over, a window starts from what was heard since
/// (<see cref="WindowAggregate"/> then aggregates over that shorter span). Only changes are kept, so a point that
/// holds still costs two samples.
/// </summary>
internal sealed class PointHistories
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Site, string Device, string Point), List<Sample>> _samples = new();

    /// <summary>Adds a sample of a point that a rule windows over <paramref name="keep"/>.</summary>
    public void Add(string site, string device, string point, Sample sample, TimeSpan keep)
    {
        var samples = _samples.GetOrAdd((site, device, point), _ => []);
        lock (samples)
        {
            WindowAggregate.Add(samples, sample, keep);
        }
    }

    /// <summary>A copy of the samples of the device's windowed points; null when it has none.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Sample>>? Of(string site, string device, IEnumerable<string> points)
    {
        Dictionary<string, IReadOnlyList<Sample>>? found = null;
        foreach (var point in points)
        {
            if (_samples.TryGetValue((site, device, point), out var samples))
            {
                lock (samples)
                {
                    (found ??= new(StringComparer.Ordinal))[point] = [.. samples];
                }
            }
        }

        return found;
    }
}

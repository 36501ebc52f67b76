using Facilities.Gateway.Profiles;

namespace Facilities.Gateway.Polling;

/// <summary>What one poll of a device is worth publishing.</summary>
public sealed record FilteredSample(
    IReadOnlyDictionary<string, double> Telemetry,
    IReadOnlyDictionary<string, string> Labels,
    bool Heartbeat,
    IReadOnlyList<PointChange> Events);

/// <summary>An event point that changed since the last poll.</summary>
public sealed record PointChange(PointSpec Point, PointValue Value, PointValue? Previous);

/// <summary>
/// Decides what of a device's sample goes out. Event points publish on any change; telemetry publishes when it moved
/// beyond its deadband from the last value *published* (so slow drift still gets through), and every point goes out
/// the first time and again whenever it has not been published for a heartbeat period, so a silent device means
/// offline, never "unchanged". Heartbeats are per point, so points polled on different intervals each get theirs.
/// Pure; no I/O.
/// </summary>
public sealed class ChangeFilter(IReadOnlyList<PointSpec> points, TimeSpan heartbeat)
{
    private readonly Dictionary<string, (PointValue Value, DateTimeOffset At)> _published = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PointValue> _lastEventValues = new(StringComparer.Ordinal);

    /// <summary>Forget what was published: the next sample goes out in full (after a device comes back online).</summary>
    public void Reset() => _published.Clear();

    public FilteredSample Apply(IReadOnlyDictionary<string, PointValue> sample, DateTimeOffset now)
    {
        var anyHeartbeat = false;
        var telemetry = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var events = new List<PointChange>();
        foreach (var point in points)
        {
            if (!sample.TryGetValue(point.Name, out var value) || double.IsNaN(value.Number) && value.Text is null)
            {
                continue;
            }

            if (point.IsEvent && _lastEventValues.TryGetValue(point.Name, out var before) && !Same(before, value))
            {
                events.Add(new PointChange(point, value, before));
            }

            if (point.IsEvent)
            {
                _lastEventValues[point.Name] = value;
            }

            var known = _published.TryGetValue(point.Name, out var last);
            var heartbeatDue = !known || now - last.At >= heartbeat;
            if (heartbeatDue || Moved(point, last.Value, value))
            {
                anyHeartbeat |= heartbeatDue;
                // Text points travel as labels only; numbers always as values (JSON has no NaN).
                if (value.Text is null)
                {
                    telemetry[point.Name] = value.Number;
                }

                if ((value.Text ?? value.Label) is { } label)
                {
                    labels[point.Name] = label;
                }

                _published[point.Name] = (value, now);
            }
        }

        return new FilteredSample(telemetry, labels, anyHeartbeat, events);
    }

    private static bool Same(PointValue a, PointValue b) => a.Number.Equals(b.Number) && a.Text == b.Text;

    private static bool Moved(PointSpec point, PointValue last, PointValue now) =>
        point.IsEvent || point.Deadband <= 0 ? !Same(last, now) : ValuePrecision.MovedBy(last.Number, now.Number, point.Deadband) || now.Text != last.Text;
}

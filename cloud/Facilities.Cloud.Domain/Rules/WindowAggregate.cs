namespace Facilities.Cloud.Domain.Rules;

/// <summary>What a windowed rule compares instead of the latest value.</summary>
public enum WindowFunction
{
    /// <summary>Time-weighted mean (emissions are judged on hourly means: DB11/139).</summary>
    Mean,

    /// <summary>How much a counter went up (burner starts per hour: short-cycling); a counter reset counts from zero.</summary>
    Increase,

    /// <summary>Last value minus the value at the start of the window (a temperature rising 10 K in 10 minutes).</summary>
    Change,
}

/// <summary>A rule's window: <c>"window": { "function": "mean", "over": "01:00:00" }</c>.</summary>
public sealed class RuleWindow
{
    public WindowFunction Function { get; set; }

    public TimeSpan Over { get; set; }

    /// <summary>
    /// Mean only: count just the time this condition on another point held (<c>"while": { "point": "burner_on",
    /// "values": [1] }</c>). Emissions are averaged over the time the boiler fires (HJ 75: data while a unit is stopped
    /// are not valid), so an hourly mean is not diluted by the burner's off periods. By <c>values</c>, <c>above</c>
    /// and <c>below</c> (the window keeps numbers, not labels).
    /// </summary>
    public PointCondition? While { get; set; }

    /// <summary>Whether a value of the <see cref="While"/> point lets the time count.</summary>
    public bool Admits(double value) =>
        While is not { } condition
        || ((condition.Values is null || condition.Values.Contains(value))
            && (condition.Above is not { } above || value > above)
            && (condition.Below is not { } below || value < below));
}

/// <summary>One reported value of a point at its sample time.</summary>
public readonly record struct Sample(DateTimeOffset Ts, double Value);

/// <summary>
/// Windowed aggregates over a point's samples, as pure functions. A point is a step series: a value holds until the
/// next one (the gateway sends only changes beyond a deadband, and heartbeats), so the window ends now with the last
/// value still holding — or at the newest sample, if that is later (a gateway clock ahead of the cloud's). While less
/// than the window has been heard (the cloud started a quarter of an hour ago) the aggregate covers what was heard.
/// </summary>
public static class WindowAggregate
{
    /// <summary>The aggregate over the window ending at <paramref name="until"/> (or the newest sample, if later); null when there are no samples.</summary>
    public static double? Of(WindowFunction function, IReadOnlyList<Sample> samples, TimeSpan over, DateTimeOffset? until = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            return null;
        }

        var to = until is { } end && end > samples[^1].Ts ? end : samples[^1].Ts;
        var from = to - over;
        return function switch
        {
            WindowFunction.Mean => Mean(samples, from, to),
            WindowFunction.Increase => Increase(samples, from, to),
            WindowFunction.Change => Change(samples, from, to),
            _ => null,
        };
    }

    /// <summary>
    /// The time-weighted mean over the window ending at <paramref name="until"/> (or the newest sample of either series,
    /// if later) of the time in which <paramref name="gate"/>'s value in force satisfied <paramref name="admits"/>;
    /// null when no such time lies in the window (the boiler did not fire within the hour: nothing to judge).
    /// </summary>
    public static double? MeanWhile(IReadOnlyList<Sample> samples, IReadOnlyList<Sample> gate, Func<double, bool> admits, TimeSpan over, DateTimeOffset? until = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(admits);
        if (samples.Count == 0 || gate.Count == 0)
        {
            return null;
        }

        var newest = samples[^1].Ts > gate[^1].Ts ? samples[^1].Ts : gate[^1].Ts;
        var to = until is { } end && end > newest ? end : newest;
        var from = to - over;
        double weighted = 0, seconds = 0;
        int i = 0, g = 0;
        // Walk both step series together: each piece between consecutive change times has one value and one gate value.
        var at = from;
        while (at < to)
        {
            // i and g: the first change of each series after `at`; the values in force are the ones before them.
            while (i < samples.Count && samples[i].Ts <= at)
            {
                i++;
            }

            while (g < gate.Count && gate[g].Ts <= at)
            {
                g++;
            }

            var next = to;
            if (i < samples.Count && samples[i].Ts < next)
            {
                next = samples[i].Ts;
            }

            if (g < gate.Count && gate[g].Ts < next)
            {
                next = gate[g].Ts;
            }

            if (i > 0 && g > 0 && admits(gate[g - 1].Value))
            {
                weighted += samples[i - 1].Value * (next - at).TotalSeconds;
                seconds += (next - at).TotalSeconds;
            }

            at = next;
        }

        return seconds > 0 ? weighted / seconds : null;
    }

    /// <summary>Time-weighted mean over [from, to]; the latest value when the window has no length.</summary>
    public static double? Mean(IReadOnlyList<Sample> samples, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(samples);
        double weighted = 0, seconds = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            var start = samples[i].Ts < from ? from : samples[i].Ts;
            var end = i + 1 < samples.Count ? (samples[i + 1].Ts > to ? to : samples[i + 1].Ts) : to;
            if (end > start)
            {
                weighted += samples[i].Value * (end - start).TotalSeconds;
                seconds += (end - start).TotalSeconds;
            }
        }

        if (seconds > 0)
        {
            return weighted / seconds;
        }

        var held = samples.Where(s => s.Ts <= to).ToList();
        return held.Count > 0 ? held[^1].Value : null;
    }

    /// <summary>How much a counter rose within [from, to], counting from the value in force at <paramref name="from"/>.</summary>
    public static double? Increase(IReadOnlyList<Sample> samples, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(samples);
        double? previous = null;
        double increase = 0;
        foreach (var sample in samples.Where(s => s.Ts <= to))
        {
            if (sample.Ts > from && previous is { } before)
            {
                // A counter that went down was reset (a controller replaced or restarted): its new value is what it counted since.
                increase += sample.Value >= before ? sample.Value - before : sample.Value;
            }

            previous = sample.Value;
        }

        return previous is null ? null : increase;
    }

    /// <summary>The last value in [from, to] minus the value in force at <paramref name="from"/> (or the first one heard).</summary>
    public static double? Change(IReadOnlyList<Sample> samples, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var inWindow = samples.Where(s => s.Ts <= to).ToList();
        if (inWindow.Count == 0)
        {
            return null;
        }

        var start = inWindow.LastOrDefault(s => s.Ts <= from);
        var first = start.Ts == default ? inWindow[0] : start;
        return inWindow[^1].Value - first.Value;
    }

    /// <summary>
    /// Whether one value has been in force over the whole window ending at <paramref name="now"/>: then the window's
    /// aggregate stays what it is until a new sample arrives. Otherwise it moves as time passes (the last value holding
    /// while older ones leave the window), and a rule on it can cross its limit without a message.
    /// </summary>
    public static bool Settled(IReadOnlyList<Sample> samples, TimeSpan over, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var start = now - over;
        for (var i = samples.Count - 2; i >= 0 && samples[i + 1].Ts > start; i--)
        {
            if (samples[i].Value != samples[^1].Value)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Adds a sample to a point's history in sample-time order and forgets what no window of <paramref name="keep"/>
    /// needs (keeping the one value in force at the window's start). A sample older than the newest is ignored (a
    /// duplicate delivery or a late message changes nothing the window already holds).
    /// </summary>
    public static void Add(List<Sample> samples, Sample sample, TimeSpan keep)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count > 0 && sample.Ts <= samples[^1].Ts)
        {
            return;
        }

        if (samples.Count > 0 && samples[^1].Value == sample.Value && samples.Count > 1 && samples[^2].Value == sample.Value)
        {
            // A step series needs only the changes: a third equal value in a row just moves the last one's time.
            samples[^1] = sample;
        }
        else
        {
            samples.Add(sample);
        }

        var start = sample.Ts - keep;
        var firstNeeded = samples.FindLastIndex(s => s.Ts <= start);
        if (firstNeeded > 0)
        {
            samples.RemoveRange(0, firstNeeded);
        }
    }
}

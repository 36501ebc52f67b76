using System.Globalization;

namespace Facilities.Gateway.Benchmarks.Processes;

/// <summary>Memory of a process as /proc/PID/status reports it, in kB: VmRSS, VmHWM and what VmRSS is made of.</summary>
/// <param name="AnonymousKilobytes">RssAnon: heaps (the GC's, malloc's), stacks.</param>
/// <param name="FileKilobytes">RssFile: mapped files (the runtime, the assemblies), shared and clean.</param>
/// <param name="SharedKilobytes">RssShmem: shared memory; for .NET, the JIT's double-mapped code.</param>
internal sealed record MemorySample(
    double Seconds, long RssKilobytes, long PeakRssKilobytes, long AnonymousKilobytes, long FileKilobytes, long SharedKilobytes);

/// <summary>Reads another process's CPU time (/proc/PID/stat) and resident memory (/proc/PID/status). Linux only.</summary>
internal static class ProcessProbe
{
    /// <summary>User plus system CPU time so far, from utime and stime in /proc/PID/stat.</summary>
    public static TimeSpan CpuTime(int pid, int clockTicksPerSecond)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name (which may hold spaces, so it is skipped by its closing parenthesis):
        // state is field 3, utime field 14, stime field 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((double)ticks / clockTicksPerSecond);
    }

    /// <summary>VmRSS, VmHWM, RssAnon, RssFile and RssShmem from /proc/PID/status.</summary>
    public static MemorySample Memory(int pid, double seconds)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.EndsWith(" kB", StringComparison.Ordinal))
            {
                values[line[..colon]] = long.Parse(line[(colon + 1)..^3].Trim(), CultureInfo.InvariantCulture);
            }
        }

        long Value(string name) => values.GetValueOrDefault(name);
        return new MemorySample(seconds, Value("VmRSS"), Value("VmHWM"), Value("RssAnon"), Value("RssFile"), Value("RssShmem"));
    }

    /// <summary>/proc/loadavg as it reads now: anything else busy on the machine shows here.</summary>
    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();
}

/// <summary>CPU time of several processes over one window, as shares of one core.</summary>
internal sealed class CpuWindow
{
    private readonly IReadOnlyDictionary<string, int> _processes;
    private readonly int _clockTicks;
    private readonly Dictionary<string, TimeSpan> _start;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();

    public CpuWindow(IReadOnlyDictionary<string, int> processes, int clockTicks)
    {
        _processes = processes;
        _clockTicks = clockTicks;
        _start = processes.ToDictionary(p => p.Key, p => ProcessProbe.CpuTime(p.Value, clockTicks));
    }

    /// <summary>Each process's CPU time since the window opened, divided by the wall time: 1.0 is one core.</summary>
    public IReadOnlyDictionary<string, double> Shares()
    {
        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds;
        return _processes.ToDictionary(p => p.Key, p => (ProcessProbe.CpuTime(p.Value, _clockTicks) - _start[p.Key]).TotalSeconds / wall);
    }
}

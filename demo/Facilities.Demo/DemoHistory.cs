using System.Diagnostics;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.ReadModels;
using Facilities.EstateSimulation;
using Facilities.FirmwareSim.Community;
using Facilities.Gateway.Site;
using Facilities.Telemetry;

namespace Facilities.Demo;

/// <summary>What the backfill wrote, how much it simulated and how long it took.</summary>
/// <remarks><c>CpuTime</c> is the process's processor time over the backfill (all threads): what it costs on an idle machine.</remarks>
public sealed record DemoBackfill(BackfillResult Result, DateTimeOffset From, DateTimeOffset Until, int Devices, TimeSpan PollInterval, long Messages, TimeSpan Took, TimeSpan CpuTime);

/// <summary>
/// The demo's history at start: the sample estate's last <see cref="Period"/>, simulated by the alert-quality month's
/// estate (firmware-sim's models, January weather, traffic by hour, through the gateway's decode and change filter) with
/// no fault injected, written into the cloud through <see cref="HistoryBackfill"/>: counter days for the crews'
/// 14-day charts and, with <c>--influx</c>, InfluxDB lines. No rule sees it, so it raises nothing. Counters (trips, door
/// cycles, running and burner hours, starts, energy) are shifted so that each history ends where the live controller
/// starts: the charts run on into the live demo without a jump.
/// </summary>
internal static class DemoHistory
{
    public static readonly TimeSpan Period = TimeSpan.FromDays(14);

    /// <summary>
    /// The virtual gateway's poll interval: the counter days (the crews' 14-day charts) need a reading a day, so an
    /// hour is plenty; InfluxDB's charts are hourly (trips per hour is the counter's spread within the hour), so with
    /// <c>--influx</c> a reading every quarter hour. Every poll publishes in full (the profiles' heartbeat is 5 minutes).
    /// Polls cost most of the run (measured: docs/demo.md).
    /// </summary>
    public static TimeSpan PollInterval(bool lines) => lines ? TimeSpan.FromMinutes(15) : TimeSpan.FromHours(1);

    /// <summary>
    /// The models' longest step: a car's trip and door cycle (about 20 s of real motion) take a few 10-second steps, so
    /// a car still serves a rush hour's calls within the hour, and two weeks of 72 controllers take seconds, not minutes.
    /// </summary>
    public static readonly TimeSpan ModelStep = TimeSpan.FromSeconds(10);

    private const int Seed = 20260105;

    /// <summary>Device kind → its ever-rising counters, shifted to end at the live controller's value.</summary>
    private static readonly Dictionary<string, string[]> Counters = new(StringComparer.Ordinal)
    {
        ["elevator"] = ["trips", "door_cycles", "running_hours"],
        ["boiler"] = ["burner_hours", "burner_starts"],
        ["charger-shed"] = ["energy_total"],
    };

    /// <summary>Simulates the period until <paramref name="until"/> and writes it (unless the cloud already has history for it).</summary>
    public static async Task<DemoBackfill> BackfillAsync(
        HistoryBackfill backfill, CommunityFile community, LoadedSite site, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backfill);
        ArgumentNullException.ThrowIfNull(site);
        var watch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var from = until - Period;
        var poll = PollInterval(backfill.KeepsLines);
        var devices = EstateDevices.Create(community, site, new EstateOptions { Start = from, PollInterval = poll, Seed = Seed, ModelStep = ModelStep });
        if (!backfill.KeepsLines)
        {
            // Without InfluxDB only the counter days are kept, and only elevators have counters the read models count.
            devices = [.. devices.Where(d => HistoryBackfill.KeepsCounterDaysOf(d.Model.Kind))];
        }

        // A model starts with the counters the live controller starts with: the history ends there.
        var live = devices.Select(d => d.Model.Values()).ToList();
        var outputs = new List<SimMessage>[devices.Count];
        Parallel.For(0, devices.Count, new ParallelOptions { CancellationToken = cancellationToken }, i => outputs[i] = devices[i].Simulate(from, until, poll));

        var envelopes = new List<Envelope>(outputs.Sum(o => o.Count));
        for (var i = 0; i < devices.Count; i++)
        {
            var end = devices[i].Model.Values();
            var shift = Counters.TryGetValue(devices[i].Model.Kind, out var counters)
                ? counters.Where(c => live[i].ContainsKey(c)).ToDictionary(c => c, c => live[i][c] - end[c], StringComparer.Ordinal)
                : [];
            envelopes.AddRange(outputs[i].Select((message, seq) => Envelope(message, seq, shift)));
        }

        envelopes.Sort((a, b) => a.Message.Ts.CompareTo(b.Message.Ts));
        var result = await backfill.WriteAsync(site.File.Site, from, until, envelopes, cancellationToken);
        return new DemoBackfill(result, from, until, devices.Count, poll, envelopes.Count, watch.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    /// <summary>A message of the virtual gateway as the cloud receives it (readings as telemetry, link changes as device states).</summary>
    private static Envelope Envelope(SimMessage message, int seq, Dictionary<string, double> shift)
    {
        var device = message.Device;
        var address = new TopicAddress(message.Online is null ? TopicKind.Telemetry : TopicKind.DeviceState, device.Site, device.Gateway, device.Device);
        IGatewayMessage body = message.Online is { } online
            ? new DeviceStateMessage(Schema.Version, seq, message.At, device.Device, device.Kind, device.Building,
                online ? DeviceStateMessage.Online : DeviceStateMessage.Offline, message.Reason)
            : new TelemetryMessage(Schema.Version, seq, message.At, device.Device, device.Kind, device.Building,
                message.Readings.ToDictionary(r => r.Point, r => r.Value + shift.GetValueOrDefault(r.Point), StringComparer.Ordinal),
                message.Readings.Where(r => r.Label is not null).ToDictionary(r => r.Point, r => r.Label!, StringComparer.Ordinal));
        return new Envelope(address, body, message.At);
    }
}

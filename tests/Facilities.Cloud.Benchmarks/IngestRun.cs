using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Facilities.Cloud.Ingestion;
using Facilities.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Benchmarks;

/// <summary>
/// What one run drains: the backlog's size and shape, the warm-up the cloud ingests live while its session is created
/// (the first messages of the same gateways), and how many times mosquitto_sub drains the backlog (each from a session of its own).
/// </summary>
/// <param name="BatchSize">The cloud's <c>Mqtt:BatchSize</c>; null keeps the cloud's default.</param>
internal sealed record IngestSettings(
    int Messages, int Gateways, int DevicesPerGateway, int WarmupMessages, int SubscriberRuns, int? BatchSize, TimeSpan Timeout, bool Profile,
    int WarmDrains = 5, int WarmDrainMessages = 40_000);

/// <summary>One storage variant's figures; times in seconds.</summary>
/// <param name="PublishSeconds">Putting the backlog at the broker (context only).</param>
/// <param name="SubscriberRuns">mosquitto_sub from start to the last message of the backlog, each run; all but the last before the cloud's drain.</param>
/// <param name="MqttnetSeconds">A bare MQTTnet client connected as the cloud's is, draining its own copy just before the cloud (<see cref="MqttnetSubscriber"/>).</param>
/// <param name="MqttnetCpuSeconds">CPU time of this process during the bare MQTTnet client's drain.</param>
/// <param name="CloudAcceptedSeconds">The running cloud from the network coming back to the last message committed to its database.</param>
/// <param name="CloudStoredSeconds">The running cloud from the network coming back to the last point accepted by InfluxDB.</param>
/// <param name="BatchSize">Messages per database transaction at most (<c>Mqtt:BatchSize</c>).</param>
/// <param name="OpenAlerts">Alerts in the cloud's database afterwards (the backlog is built to raise none).</param>
/// <param name="InfluxPoints">Points of the backlog InfluxDB holds afterwards, counted by an InfluxQL query.</param>
/// <param name="PeakWorkingSetBytes">Highest working set of this process sampled during the cloud's drain (the cloud and this small harness).</param>
/// <param name="CpuSeconds">CPU time of this process during the cloud's drain.</param>
/// <param name="AllocatedBytes">Managed bytes allocated during the cloud's drain.</param>
/// <param name="Instances">Cloud instances draining together (sharing the consumer slots through PostgreSQL).</param>
/// <param name="Consumer">Where the consumers' time went, summed over the instances, when the last message committed.</param>
/// <param name="Machine">Where the machine's processor time went during the cloud's drain.</param>
/// <param name="WarmDrains">Backlogs of <paramref name="WarmDrainMessages"/> the process drained through a restarted cloud before the measured drain.</param>
/// <param name="ColdRate">The first of those drains (host start to the last point in InfluxDB): the cloud while its process still compiles.</param>
/// <param name="ColdJitSeconds">The JIT compiler's time during that first drain.</param>
/// <param name="RelaySeconds">The bare relay (<see cref="MqttnetSubscriber"/> writing to InfluxDB): from before its connect to its last message acknowledged after InfluxDB accepted its lines.</param>
/// <param name="RelayCpuSeconds">CPU time of this process during the relay's drain.</param>
/// <param name="RelayPoints">Points the relay's InfluxDB database holds afterwards, counted by an InfluxQL query.</param>
internal sealed record IngestResult(
    string Storage, int Messages, int Devices, int Gateways, int PayloadBytes, double PublishSeconds,
    IReadOnlyList<double> SubscriberRuns, double MqttnetSeconds, double MqttnetCpuSeconds, double CloudAcceptedSeconds, double CloudStoredSeconds,
    int BatchSize, long Accepted, long Duplicates, long DeadLettered, long OpenAlerts, long PointsWritten, long PointsDropped, long InfluxPoints,
    long PeakWorkingSetBytes, double CpuSeconds, long AllocatedBytes, string LoadAverage, StageTimes? Stages,
    int Instances = 1, IngestRun.ConsumerFigures? Consumer = null, MachineCpu? Machine = null,
    int WarmDrains = 0, int WarmDrainMessages = 0, double ColdRate = 0, double ColdJitSeconds = 0,
    double RelaySeconds = 0, double RelayCpuSeconds = 0, long RelayPoints = 0)
{
    /// <summary>The median of <see cref="SubscriberRuns"/>.</summary>
    public double SubscriberSeconds => SubscriberRuns.Order().ElementAt(SubscriberRuns.Count / 2);

    public double SubscriberRate => Messages / SubscriberSeconds;

    public double CloudRate => Messages / CloudStoredSeconds;

    public double Ratio => CloudRate / SubscriberRate;

    public double MqttnetRate => Messages / MqttnetSeconds;

    /// <summary>The bare relay's rate; 0 when the run had none (results from before it existed).</summary>
    public double RelayRate => RelaySeconds > 0 ? Messages / RelaySeconds : 0;
}

/// <summary>
/// Processor time, in seconds, spent during the cloud's drain: by the benchmark's process (the cloud and this small
/// harness), of that by the JIT compiler (<see cref="System.Runtime.JitInfo"/>: code compiled for the first time, and
/// the tiered compiler's recompilation of code that turned out hot), by the broker, by InfluxDB, and by the whole
/// machine (all cores, from /proc/stat): busy, idle, and stolen (time the virtual machine's cores waited for the host,
/// which runs other guests: a sign the figures were taken on a crowded host). What is busy but none of the three is the
/// rest of the machine (PostgreSQL's processes, the kernel's own threads, other work on a shared machine).
/// </summary>
internal sealed record MachineCpu(double Cloud, double Jit, double Broker, double Influx, double Busy, double Idle, double Stolen = 0)
{
    public double Others => Math.Max(0, Busy - Cloud - Broker - Influx);

    /// <summary>Now, for a later <see cref="Since"/>.</summary>
    public static MachineCpu Sample(int brokerPid, int influxPid)
    {
        var (busy, idle, stolen) = Machine();
        return new MachineCpu(
            ProcessSeconds(Environment.ProcessId), System.Runtime.JitInfo.GetCompilationTime().TotalSeconds, ProcessSeconds(brokerPid), ProcessSeconds(influxPid), busy, idle, stolen);
    }

    public MachineCpu Since(MachineCpu start) =>
        new(Cloud - start.Cloud, Jit - start.Jit, Broker - start.Broker, Influx - start.Influx, Busy - start.Busy, Idle - start.Idle, Stolen - start.Stolen);

    private static double ProcessSeconds(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>
    /// All cores' busy, idle and stolen seconds since boot: the first line of /proc/stat (user, nice, system, idle,
    /// iowait, irq, softirq, steal), in clock ticks of 1/100 s.
    /// </summary>
    private static (double Busy, double Idle, double Stolen) Machine()
    {
        var ticks = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        return ((ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / 100, (ticks[3] + ticks[4]) / 100, ticks[7] / 100);
    }
}

/// <summary>
/// One storage variant, side by side on one broker: Mosquitto with room for the whole backlog, persistent sessions for
/// the cloud and for mosquitto_sub, the same backlog queued in all of them, then each drains it in turn while the others
/// wait, so none competes with another for the machine. mosquitto_sub drains its copies before and after the cloud, so
/// its median is taken under the machine's load of those minutes. The cloud reaches the broker through a
/// <see cref="BrokerGate"/>, so a running cloud's sessions can be taken offline while its backlog is queued.
/// </summary>
internal sealed class IngestRun(IngestSettings settings, InfluxServer influx, TextWriter log)
{
    /// <summary>
    /// Mosquitto's defaults queue 1000 messages per offline client; the backlog must fit whole. mosquitto_sub (MQTT 3.1.1)
    /// gets the QoS 1 window the cloud asks for as its receive maximum (MQTT 5), so both drain through the same window.
    /// </summary>
    public static string BrokerConfig { get; } = string.Create(CultureInfo.InvariantCulture,
        $"max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages {new CloudMqttOptions().ReceiveMaximum}\nlog_type error");

    private const string CloudClientId = "bench-cloud";

    /// <summary>Enough for steady per-message figures; the whole stream would double the PostgreSQL variant's time.</summary>
    private const int ProfiledMessages = 20_000;
    private static readonly TimeSpan SampleSpan = TimeSpan.FromMinutes(5);

    public async Task<IngestResult> RunAsync(string storageName, Func<CancellationToken, Task<string>> connectionString, CancellationToken cancellationToken)
    {
        await using var broker = await MosquittoBroker.StartAsync(cancellationToken, BrokerConfig);
        await using var gate = new BrokerGate(broker.Port);
        await gate.OpenAsync(cancellationToken);
        var influxDatabase = $"bench_{storageName}_{DateTime.UtcNow:HHmmss}";
        await influx.CreateDatabaseAsync(influxDatabase, cancellationToken);
        var (provider, instances) = Variant(storageName);
        var storage = new CloudStorage(provider, await connectionString(cancellationToken), influx.Url, influxDatabase, settings.BatchSize);

        // The gateways' stream: its first messages reach the cloud live (it learns the gateways and devices and its code is
        // jitted), then warm-up backlogs drained by restarted hosts, then the measured backlog.
        var estate = new SimulatedEstate("estate", "gw", settings.Gateways, settings.DevicesPerGateway);
        var warmDrained = settings.WarmDrains * settings.WarmDrainMessages;
        var stream = estate.Messages(settings.WarmupMessages + warmDrained + settings.Messages, DateTimeOffset.UtcNow, SampleSpan);
        var (warmup, backlog) = (stream.Take(settings.WarmupMessages).ToList(), stream.Skip(settings.WarmupMessages + warmDrained).ToList());

        Say($"{storageName}: the cloud creates its session and ingests the first {warmup.Count:N0} messages live");
        await using (var cloud = await CloudUnderTest.StartAsync(gate.Port, CloudClientId, storage, cancellationToken))
        {
            await BacklogPublisher.PublishAsync(broker.Port, warmup, cancellationToken);
            await WaitAsync(cloud, warmup.Count, settings.Timeout, cancellationToken);
        }

        // A restarted cloud compiles as it drains: its process's first code, and each host's own (dependency injection,
        // routes and regular expressions build code at start). The first backlog after start-up shows that cost (the cold
        // drain). Draining backlogs through restarted hosts this many times compiles the ingest path.
        var cold = (Rate: 0.0, Jit: 0.0);
        var drained = (long)warmup.Count;
        for (var i = 0; i < settings.WarmDrains; i++)
        {
            var part = stream.Skip(settings.WarmupMessages + (i * settings.WarmDrainMessages)).Take(settings.WarmDrainMessages).ToList();
            await BacklogPublisher.PublishAsync(broker.Port, part, cancellationToken);
            var jit = System.Runtime.JitInfo.GetCompilationTime();
            var warmClock = Stopwatch.StartNew();
            await using (var cloud = await CloudUnderTest.StartAsync(gate.Port, CloudClientId, storage, cancellationToken))
            {
                await WaitAsync(cloud, part.Count, settings.Timeout, cancellationToken);
            }

            drained += part.Count;
            var rate = part.Count / warmClock.Elapsed.TotalSeconds;
            var compiling = (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalSeconds;
            Say(Invariant($"{storageName}: warm-up drain {i + 1} of {settings.WarmDrains}: {part.Count:N0} messages, {rate:N0} msg/s, JIT {compiling:0.00} s"));
            if (i == 0)
            {
                cold = (rate, compiling);
            }
        }

        var subscriberRuns = new List<double>();
        var (publish, mqttnetTime, mqttnetCpu, load) = (TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, "");
        CloudDrain drain;
        var subscribers = Enumerable.Range(1, settings.SubscriberRuns)
            .Select(i => new MosquittoSubscriber(broker.Port, string.Create(CultureInfo.InvariantCulture, $"bench-sub-{i}"))).ToList();
        foreach (var subscriber in subscribers)
        {
            await subscriber.CreateSessionAsync(cancellationToken);
        }

        var mqttnet = new MqttnetSubscriber(broker.Port, "bench-mqttnet");
        await mqttnet.CreateSessionAsync(cancellationToken);
        var relayDatabase = influxDatabase + "_relay";
        await influx.CreateDatabaseAsync(relayDatabase, cancellationToken);
        var relay = new MqttnetSubscriber(broker.Port, "bench-relay", new MqttnetSubscriber.InfluxTarget(influx.Url, relayDatabase, settings.BatchSize ?? new CloudMqttOptions().BatchSize));
        await relay.CreateSessionAsync(cancellationToken);
        var (relayTime, relayCpu) = (TimeSpan.Zero, TimeSpan.Zero);

        // The measured cloud runs before its backlog exists: started, its slots shared out and connected, its compiler
        // quiet. Then the network to the broker stalls (the gate pauses), the backlog is published and queued in its
        // sessions, and the network comes back: the drain of a cloud that runs on, as after a network stall, and much as
        // after a broker restart or a slot taken over from a dead instance.
        Say($"{storageName}: the cloud starts ({instances} instance(s)) and its compiler goes quiet");
        var clouds = new List<CloudUnderTest>();
        try
        {
            for (var i = 0; i < instances; i++)
            {
                clouds.Add(await CloudUnderTest.StartAsync(gate.Port, CloudClientId, storage, cancellationToken));
            }

            await SettledAsync(clouds, cancellationToken);
            await QuietCompilerAsync(cancellationToken);
            await gate.PauseAsync(cancellationToken);

            Say($"{storageName}: publishing the backlog of {backlog.Count:N0} messages ({settings.Gateways} gateways, {estate.Devices} devices)");
            var clock = Stopwatch.StartNew();
            await BacklogPublisher.PublishAsync(broker.Port, backlog, cancellationToken);
            publish = clock.Elapsed;

            foreach (var subscriber in subscribers.SkipLast(1))
            {
                subscriberRuns.Add(await DrainSubscriberAsync(storageName, subscriber, backlog.Count, cancellationToken));
            }

            Say($"{storageName}: a bare MQTTnet client drains it ({mqttnet.ClientId})");
            mqttnetCpu = ProcessCpu();
            mqttnetTime = await mqttnet.DrainAsync(backlog.Count, settings.Timeout, cancellationToken);
            mqttnetCpu = ProcessCpu() - mqttnetCpu;
            Say(Invariant($"{storageName}:   {mqttnetTime.TotalSeconds:0.000} s, {backlog.Count / mqttnetTime.TotalSeconds:N0} msg/s"));

            Say($"{storageName}: a bare relay, MQTTnet to InfluxDB, drains it ({relay.ClientId})");
            relayCpu = ProcessCpu();
            relayTime = await relay.DrainAsync(backlog.Count, settings.Timeout, cancellationToken);
            relayCpu = ProcessCpu() - relayCpu;
            Say(Invariant($"{storageName}:   {relayTime.TotalSeconds:0.000} s, {backlog.Count / relayTime.TotalSeconds:N0} msg/s"));

            Say($"{storageName}: the running cloud drains it (the stalled network to the broker is back)");
            load = (await File.ReadAllTextAsync("/proc/loadavg", cancellationToken)).Trim();
            drain = await DrainCloudAsync(broker, clouds, gate, backlog.Count, cancellationToken);
        }
        finally
        {
            foreach (var cloud in clouds)
            {
                await cloud.DisposeAsync();
            }
        }

        Say(Invariant($"{storageName}:   committed after {drain.Accepted.TotalSeconds:0.000} s, in InfluxDB after {drain.Stored.TotalSeconds:0.000} s: {backlog.Count / drain.Stored.TotalSeconds:N0} msg/s"));
        var m = drain.Machine;
        Say(Invariant($"{storageName}:   processor time: cloud {m.Cloud:0.00} s (JIT {m.Jit:0.00} s), broker {m.Broker:0.00} s, InfluxDB {m.Influx:0.00} s, others {m.Others:0.00} s, idle {m.Idle:0.00} s, stolen by the host {m.Stolen:0.00} s"));
        subscriberRuns.Add(await DrainSubscriberAsync(storageName, subscribers[^1], backlog.Count, cancellationToken));

        var influxPoints = await CountPointsAsync(influxDatabase, cancellationToken) - drained;
        var relayPoints = await CountPointsAsync(relayDatabase, cancellationToken);
        if (relayPoints != backlog.Count)
        {
            Say($"{storageName}: WARNING the relay's InfluxDB database holds {relayPoints:N0} points, expected {backlog.Count:N0}");
        }

        if (influxPoints != backlog.Count)
        {
            Say($"{storageName}: WARNING InfluxDB holds {influxPoints:N0} points of the backlog, expected {backlog.Count:N0}");
        }

        StageTimes? stages = null;
        if (settings.Profile && instances == 1)
        {
            Say($"{storageName}: profiling the pipeline stage by stage on a fresh database");
            var profileStorage = storage with { ConnectionString = await connectionString(cancellationToken) };
            stages = await PipelineProfile.MeasureAsync([.. stream.Take(ProfiledMessages)], broker.Port, profileStorage, cancellationToken);
        }

        return new IngestResult(
            storageName, backlog.Count, estate.Devices, settings.Gateways, backlog.Sum(m => m.Payload.Length) / backlog.Count, publish.TotalSeconds,
            subscriberRuns, mqttnetTime.TotalSeconds, mqttnetCpu.TotalSeconds, drain.Accepted.TotalSeconds, drain.Stored.TotalSeconds,
            drain.Counts.BatchSize, drain.Counts.Accepted, drain.Counts.Duplicates, drain.Counts.DeadLettered, drain.Counts.Alerts,
            drain.Counts.Written, drain.Counts.Dropped, influxPoints,
            drain.PeakWorkingSet, drain.Cpu.TotalSeconds, drain.Allocated, load, stages, instances, drain.Consumer, drain.Machine,
            settings.WarmDrains, settings.WarmDrainMessages, cold.Rate, cold.Jit, relayTime.TotalSeconds, relayCpu.TotalSeconds, relayPoints);
    }

    private async Task<double> DrainSubscriberAsync(string storageName, MosquittoSubscriber subscriber, int count, CancellationToken cancellationToken)
    {
        Say($"{storageName}: mosquitto_sub drains it ({subscriber.ClientId})");
        var time = await subscriber.DrainAsync(count, settings.Timeout, cancellationToken);
        Say(Invariant($"{storageName}:   {time.TotalSeconds:0.000} s, {count / time.TotalSeconds:N0} msg/s"));
        return time.TotalSeconds;
    }

    /// <summary>The cloud's consumer when the last message committed: its batches and where its time went (<see cref="IngestMetrics.Consumer"/>).</summary>
    internal sealed record ConsumerFigures(long Batches, long Messages, ConsumerTimes Times, TimeSpan GcPauses);

    private sealed record DrainCounts(int BatchSize, long Accepted, long Duplicates, long DeadLettered, long Alerts, long Written, long Dropped);

    private sealed record CloudDrain(TimeSpan Accepted, TimeSpan Stored, DrainCounts Counts, long PeakWorkingSet, TimeSpan Cpu, long Allocated, ConsumerFigures? Consumer, MachineCpu Machine);

    /// <summary>A storage variant's provider and how many instances drain: <c>postgres-2</c> is two instances on PostgreSQL.</summary>
    public static (string Provider, int Instances) Variant(string storageName) => storageName == "postgres-2" ? ("postgres", 2) : (storageName, 1);

    /// <summary>
    /// Resumes the gate to the running <paramref name="clouds"/> and samples the counters from that moment until every
    /// message is committed and in InfluxDB.
    /// </summary>
    private async Task<CloudDrain> DrainCloudAsync(MosquittoBroker broker, List<CloudUnderTest> clouds, BrokerGate gate, int count, CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long Accepted() => clouds.Sum(c => c.Ingest.Accepted);
        long Written() => clouds.Sum(c => c.Store.Snapshot().Written);
        long Duplicates() => clouds.Sum(c => c.Ingest.Duplicates);
        long DeadLettered() => clouds.Sum(c => c.Ingest.DeadLettered);
        long Dropped() => clouds.Sum(c => c.Store.Snapshot().Dropped);
        (long Batches, long Messages) Batches() => (clouds.Sum(c => c.Ingest.Batches.Batches), clouds.Sum(c => c.Ingest.Batches.Messages));
        TimeSpan Storing() => TimeSpan.FromTicks(clouds.Sum(c => c.Ingest.Consumer.Storing.Ticks));
        TimeSpan Acknowledging() => TimeSpan.FromTicks(clouds.Sum(c => c.Ingest.Consumer.Acknowledging.Ticks));
        var before = (Accepted: Accepted(), Written: Written(), Duplicates: Duplicates(), DeadLettered: DeadLettered(), Dropped: Dropped(), Batches: Batches(), Storing: Storing(), Acknowledging: Acknowledging());

        await gate.ResumeAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        if (clouds.Any(c => c.Ingestor.ConnectedSlots != c.Ingestor.OwnedSlots.Count))
        {
            throw new InvalidOperationException("a slot of the cloud lost its connection while the gate was paused");
        }

        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes();
        var peak = Environment.WorkingSet;
        var paused = GC.GetTotalPauseDuration();
        var machine = MachineCpu.Sample(broker.ProcessId, influx.ProcessId);
        TimeSpan? accepted = null;
        ConsumerFigures? consumer = null;
        while (true)
        {
            peak = Math.Max(peak, Environment.WorkingSet);
            if (accepted is null && Accepted() - before.Accepted >= count)
            {
                accepted = clock.Elapsed;
                var storing = Storing() - before.Storing;
                var acknowledging = Acknowledging() - before.Acknowledging;
                var batches = Batches();

                // The consumer loop stores, waits for the previous batch's acknowledgements, or waits for messages: the last
                // is what is left of each instance's drain (its own counter would also hold the idle time before the drain).
                var waiting = (clouds.Count * accepted.Value) - storing - acknowledging;
                consumer = new ConsumerFigures(
                    batches.Batches - before.Batches.Batches, batches.Messages - before.Batches.Messages,
                    new ConsumerTimes(waiting < TimeSpan.Zero ? TimeSpan.Zero : waiting, storing, acknowledging),
                    GC.GetTotalPauseDuration() - paused);
                Say(Invariant($"   consumer: {consumer.Batches} batches, {consumer.Messages} messages; waiting {consumer.Times.Waiting.TotalSeconds:0.00} s, storing {consumer.Times.Storing.TotalSeconds:0.00} s, acknowledging {consumer.Times.Acknowledging.TotalSeconds:0.00} s; GC pauses {consumer.GcPauses.TotalSeconds:0.00} s"));
            }

            if (accepted is not null && Written() - before.Written >= count)
            {
                break;
            }

            if (clock.Elapsed > settings.Timeout)
            {
                throw new TimeoutException(Invariant(
                    $"the cloud did not drain {count} messages within {settings.Timeout}: {Accepted() - before.Accepted} accepted, {Written() - before.Written} points written"));
            }

            await Task.Delay(5, cancellationToken);
        }

        var stored = clock.Elapsed;
        var machineCpu = MachineCpu.Sample(broker.ProcessId, influx.ProcessId).Since(machine);
        process.Refresh();
        var counts = new DrainCounts(
            clouds[0].Services.GetRequiredService<CloudMqttOptions>().BatchSize, Accepted() - before.Accepted, Duplicates() - before.Duplicates,
            DeadLettered() - before.DeadLettered, await clouds[0].CountAlertsAsync(cancellationToken), Written() - before.Written, Dropped() - before.Dropped);
        return new CloudDrain(accepted.Value, stored, counts, peak, process.TotalProcessorTime - cpu, GC.GetTotalAllocatedBytes() - allocated, consumer, machineCpu);
    }

    /// <summary>Until every slot is owned and connected, and with several instances each owns some.</summary>
    private static Task SettledAsync(List<CloudUnderTest> clouds, CancellationToken cancellationToken) =>
        UntilAsync(
            () => clouds.Sum(c => c.Ingestor.ConnectedSlots) == clouds[0].Ingestor.TotalSlots && clouds.All(c => c.Ingestor.ConnectedSlots > 0),
            "every consumer slot owned and connected", cancellationToken);

    private static async Task UntilAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new TimeoutException($"waited a minute for {what}");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>Waits (at most 30 s) until the JIT compiler has compiled nothing for a second: the tiered compiler's backlog is done.</summary>
    private async Task QuietCompilerAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var methods = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quietSince = clock.Elapsed;
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && clock.Elapsed - quietSince < TimeSpan.FromSeconds(1))
        {
            await Task.Delay(100, cancellationToken);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != methods)
            {
                (methods, quietSince) = (now, clock.Elapsed);
            }
        }

        Say(Invariant($"compiler quiet after {clock.Elapsed.TotalSeconds:0.0} s ({methods:N0} methods compiled in this process)"));
    }

    private static async Task WaitAsync(CloudUnderTest cloud, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (cloud.Ingest.Accepted < count || cloud.Store.Snapshot().Written < count)
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"the warm-up did not arrive: {cloud.Ingest.Accepted} of {count} accepted, {cloud.Store.Snapshot()}");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>Points in the database: per measurement the count of its most frequent field (every point carries its kind's anchor).</summary>
    private async Task<long> CountPointsAsync(string database, CancellationToken cancellationToken)
    {
        var rows = await influx.RowsAsync(database, "SELECT COUNT(*) FROM /.*/", cancellationToken);
        return rows.Sum(row => row.Where(c => c.Key.StartsWith("count_", StringComparison.Ordinal) && c.Value.ValueKind == JsonValueKind.Number).Max(c => c.Value.GetInt64()));
    }

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private void Say(string line) => log.WriteLine(line);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

using System.Diagnostics;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Cloud.TelemetryStore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Benchmarks;

/// <summary>Microseconds per message spent in each stage of ingestion, measured one stage at a time, with the batches made as the consumer slots deliver a backlog.</summary>
/// <param name="Validation">Topic parse, JSON deserialisation and contract checks (<see cref="MessageValidator"/>).</param>
/// <param name="Transaction">A whole <see cref="IngestPipeline.ProcessAsync(ValidatedBatch, CancellationToken)"/> batch per message, validated beforehand: connection, transaction, seq check, handlers, commit.</param>
/// <param name="Handlers">Of <paramref name="Transaction"/>, the time inside each message handler, by handler: its batch reads, its per-message calls, its batch writes.</param>
/// <param name="LineProtocol">Turning an accepted message into InfluxDB line protocol (<see cref="TelemetrySchema"/>).</param>
/// <param name="Allocated">Managed bytes allocated per message in each stage.</param>
internal sealed record StageTimes(int Messages, int BatchSize, double Validation, double Transaction, IReadOnlyDictionary<string, HandlerTimes> Handlers, double LineProtocol, StageAllocations? Allocated = null);

/// <summary>
/// Bytes allocated per message: validating, formatting line protocol, preparing a batch before its transaction (validation
/// again and the handlers' <see cref="IMessageHandler.Prepare"/>: the history's line protocol), and the transaction.
/// </summary>
internal sealed record StageAllocations(double Validation, double LineProtocol, double Prepared, double Transaction);

/// <summary>Microseconds per message one handler spent in <c>BeginBatchAsync</c>, <c>HandleAsync</c> and <c>EndBatchAsync</c>.</summary>
internal sealed record HandlerTimes(double Begin, double Handle, double End)
{
    public double Total => Begin + Handle + End;
}

/// <summary>
/// Where ingestion spends its time: the backlog again, through the cloud's own pipeline and handlers taken from a started
/// cloud on a fresh database, one stage at a time with a stopwatch around each (dotnet-counters and a profiler are not at
/// hand). The stages run one after another on one thread, so their sum is the CPU a message costs the pipeline, not the
/// end-to-end wall time, where MQTT, InfluxDB writes and the pipeline overlap on the machine's cores.
/// </summary>
internal static class PipelineProfile
{
    /// <summary>How many times the pure stages (validation, line protocol) run; the fastest pass is reported.</summary>
    public const int Passes = 5;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public static async Task<StageTimes> MeasureAsync(
        IReadOnlyList<BacklogMessage> backlog, int brokerPort, CloudStorage storage, CancellationToken cancellationToken)
    {
        await using var cloud = await CloudUnderTest.StartAsync(brokerPort, "bench-profile", storage with { InfluxUrl = null, InfluxDatabase = null }, cancellationToken);
        var batchSize = cloud.Services.GetRequiredService<CloudMqttOptions>().BatchSize;

        // In the order a backlog reaches the cloud: the broker deals a shared subscription's messages out to the consumer
        // slots' sessions in turn, and a reconnecting cloud receives one session's queue after another, so a batch holds
        // every slots-th message of a stretch of each gateway's stream, and the others fill the gaps later.
        var slots = cloud.Ingestor.TotalSlots;
        var raw = backlog.Select((m, i) => (Message: new RawMessage(m.Topic, m.Payload), Slot: i % slots, Index: i))
            .OrderBy(m => m.Slot).ThenBy(m => m.Index).Select(m => m.Message).ToArray();
        var now = DateTimeOffset.UtcNow;

        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        double Allocated()
        {
            var (before, now) = (allocated, allocated = GC.GetTotalAllocatedBytes(precise: true));
            return (now - before) / (double)raw.Length;
        }

        // Validation and the line protocol are pure: each runs Passes times over the messages and its fastest pass counts
        // (on a shared host other guests take the processor now and then; the fastest pass is the code's own time).
        // Allocation is the first pass's.
        var envelopes = new List<Envelope>(raw.Length);
        var validation = TimeSpan.MaxValue;
        var validationBytes = 0.0;
        for (var pass = 0; pass < Passes; pass++)
        {
            envelopes.Clear();
            var passClock = Stopwatch.StartNew();
            foreach (var message in raw)
            {
                var (envelope, rejection) = MessageValidator.Validate(message.Topic, message.Payload.Span, now);
                envelopes.Add(envelope ?? throw new InvalidOperationException($"the backlog has a message the cloud refuses: {rejection?.Reason}"));
            }

            validation = Min(validation, passClock.Elapsed);
            var bytes = Allocated();
            validationBytes = pass == 0 ? bytes : validationBytes;
        }

        var lineProtocol = TimeSpan.MaxValue;
        var lineProtocolBytes = 0.0;
        var body = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        for (var pass = 0; pass < Passes; pass++)
        {
            var passClock = Stopwatch.StartNew();
            var lines = 0L;
            foreach (var batch in envelopes.Chunk(batchSize))
            {
                // As the history recorder writes a batch: every message's lines onto one buffer, copied out as the batch's body.
                body.ResetWrittenCount();
                foreach (var envelope in batch)
                {
                    TelemetrySchema.WriteLines(body, envelope);
                }

                lines += body.WrittenSpan.ToArray().Length;
            }

            lineProtocol = Min(lineProtocol, passClock.Elapsed);
            GC.KeepAlive(lines);
            var bytes = Allocated();
            lineProtocolBytes = pass == 0 ? bytes : lineProtocolBytes;
        }

        var handlers = cloud.Services.GetServices<IMessageHandler>().Select(h => new TimedHandler(h)).ToArray();
        var pipeline = new IngestPipeline(
            cloud.Services.GetRequiredService<CloudDatabase>(), handlers, new IngestMetrics(), TimeProvider.System, NullLogger<IngestPipeline>.Instance);
        // Validation and what the handlers prepare from a batch run before its transaction (the consumer does them on the
        // other core while the previous batch's transaction runs): timed apart, so the transaction's time is its own.
        _ = Allocated();
        var validated = raw.Chunk(batchSize).Select(pipeline.Validate).ToList();
        var preparedBytes = Allocated();
        var clock = Stopwatch.StartNew();
        foreach (var batch in validated)
        {
            var outcomes = await pipeline.ProcessAsync(batch, cancellationToken);
            if (outcomes.Any(o => o != IngestOutcome.Accepted))
            {
                throw new InvalidOperationException($"the profiled pipeline did not accept every message: {string.Join(", ", outcomes.Distinct())}");
            }
        }

        var transaction = clock.Elapsed;
        var transactionBytes = Allocated();
        double PerMessage(TimeSpan time) => time.TotalMicroseconds / raw.Length;
        return new StageTimes(
            raw.Length, batchSize, PerMessage(validation), PerMessage(transaction),
            handlers.ToDictionary(h => h.Name, h => new HandlerTimes(PerMessage(h.Begin), PerMessage(h.Handle), PerMessage(h.End))), PerMessage(lineProtocol),
            new StageAllocations(validationBytes, lineProtocolBytes, preparedBytes, transactionBytes));
    }

    /// <summary>A handler with a stopwatch around each of its calls (a batch's reads and writes count to it).</summary>
    private sealed class TimedHandler(IMessageHandler inner) : IMessageHandler
    {
        private long _begin;
        private long _handle;
        private long _end;

        public string Name { get; } = inner.GetType().Name;

        public TimeSpan Begin => Stopwatch.GetElapsedTime(0, _begin);

        public TimeSpan Handle => Stopwatch.GetElapsedTime(0, _handle);

        public TimeSpan End => Stopwatch.GetElapsedTime(0, _end);

        public async ValueTask BeginBatchAsync(IReadOnlyList<Envelope> batch, IngestContext context, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            await inner.BeginBatchAsync(batch, context, cancellationToken);
            _begin += Stopwatch.GetTimestamp() - start;
        }

        public async ValueTask HandleAsync(Envelope envelope, IngestContext context, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            await inner.HandleAsync(envelope, context, cancellationToken);
            _handle += Stopwatch.GetTimestamp() - start;
        }

        public async ValueTask EndBatchAsync(IngestContext context, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            await inner.EndBatchAsync(context, cancellationToken);
            _end += Stopwatch.GetTimestamp() - start;
        }
    }
}

using System.Threading.Channels;
using Facilities.Cloud.Ingestion;

namespace Facilities.Cloud.TelemetryStore;

/// <summary>
/// Stores every committed message as line-protocol points, in batches. <see cref="Accept"/> never blocks: lines go into
/// a bounded buffer that, when full, drops its oldest line (counted), so a dead InfluxDB can slow nothing but itself.
/// A batch that fails to arrive (unreachable, timeout, 5xx) is kept and tried again with exponential backoff while the
/// buffer fills behind it; a batch the server refuses as bad data is split in halves until the bad lines are isolated,
/// so only they are dropped (counted as rejected). Re-sending lines InfluxDB already stored is harmless: a point with
/// the same series and time overwrites itself.
/// </summary>
public sealed partial class InfluxWriter : BackgroundService, ICommittedMessageSink
{
    private readonly InfluxOptions _options;
    private readonly TelemetryStoreMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<InfluxWriter> _logger;
    private readonly InfluxWriteApi _api;
    private readonly Channel<string> _buffer;

    /// <summary>The batch being filled (only the write loop, then the shutdown flush, touch it).</summary>
    private readonly List<string> _batch;

    /// <summary>Line ranges of the batch being written, first on top; survives cancellation so shutdown can finish it.</summary>
    private readonly Stack<ArraySegment<string>> _pending = new();

    /// <summary>Lines in <see cref="_pending"/>, readable from other threads.</summary>
    private long _inFlight;

    public InfluxWriter(InfluxOptions options, TelemetryStoreMetrics metrics, TimeProvider time, ILogger<InfluxWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _api = new InfluxWriteApi(options);
        _batch = new List<string>(options.BatchSize);
        _buffer = Channel.CreateBounded<string>(
            new BoundedChannelOptions(options.MaxBufferedLines) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => metrics.AddDropped(1));
        metrics.ReportBuffered(() => _buffer.Reader.Count + Interlocked.Read(ref _inFlight));
    }

    public void Accept(Envelope envelope)
    {
        foreach (var point in TelemetrySchema.Points(envelope))
        {
            if (LineProtocol.Format(point) is { } line && !_buffer.Writer.TryWrite(line))
            {
                // Only after shutdown: the buffer is closed.
                _metrics.AddDropped(1);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var target = _options.Describe();
        LogStarted(_logger, target, _options.BatchSize, _options.MaxBufferedLines);
        try
        {
            while (await _buffer.Reader.WaitToReadAsync(stoppingToken))
            {
                await FillAsync(stoppingToken);
                StartBatch();
                await WritePendingAsync(retry: true, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// After the loop has ended, one last attempt for what is in flight and buffered. Done here rather than at the end of
    /// <see cref="ExecuteAsync"/>, which may never have run when the host stops right after starting.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (ExecuteTask is null or { IsCompleted: true })
        {
            await FlushAtShutdownAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Takes what is buffered, then waits for the batch to fill: up to the flush interval in all, and no longer than
    /// the idle time without a new line.
    /// </summary>
    private async Task FillAsync(CancellationToken stoppingToken)
    {
        Drain();
        if (_batch.Count >= _options.BatchSize)
        {
            return;
        }

        using var window = new CancellationTokenSource(_options.FlushInterval, _time);
        try
        {
            while (_batch.Count < _options.BatchSize)
            {
                using var idle = new CancellationTokenSource(_options.FlushWhenIdle, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, window.Token, idle.Token);
                if (!await _buffer.Reader.WaitToReadAsync(linked.Token))
                {
                    return;
                }

                Drain();
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Drain()
    {
        while (_batch.Count < _options.BatchSize && _buffer.Reader.TryRead(out var line))
        {
            _batch.Add(line);
        }
    }

    /// <summary>
    /// Writes <see cref="_pending"/> until it is empty. Without <paramref name="retry"/> (at shutdown) the first failed
    /// request ends it and returns false, leaving the rest pending.
    /// </summary>
    private async Task<bool> WritePendingAsync(bool retry, CancellationToken cancellationToken)
    {
        var delay = _options.MinRetryDelay;
        var failures = 0;
        var splitLogged = false;
        while (_pending.TryPeek(out var lines))
        {
            var outcome = await _api.WriteAsync(lines, cancellationToken);
            switch (outcome.Status)
            {
                case WriteStatus.Written:
                    Complete();
                    _metrics.AddWritten(lines.Count);
                    if (failures > 0)
                    {
                        LogRecovered(_logger, failures);
                        failures = 0;
                    }

                    delay = _options.MinRetryDelay;
                    break;

                case WriteStatus.Refused when lines.Count == 1:
                    Complete();
                    _metrics.AddRejected(1);
                    _metrics.SetLastError(outcome.Error ?? "refused", _time.GetUtcNow());
                    LogLineRejected(_logger, outcome.Error, lines[0]);
                    break;

                case WriteStatus.Refused:
                    _pending.Pop();
                    if (!splitLogged)
                    {
                        LogBatchRefused(_logger, lines.Count, outcome.Error);
                        splitLogged = true;
                    }

                    var half = lines.Count / 2;
                    _pending.Push(lines[half..]);
                    _pending.Push(lines[..half]);
                    break;

                default:
                    _metrics.SetLastError(outcome.Error ?? "failed", _time.GetUtcNow());
                    if (!retry)
                    {
                        return false;
                    }

                    failures++;
                    _metrics.AddRetry();
                    LogWriteFailed(_logger, lines.Count, outcome.Error, _buffer.Reader.Count, delay.TotalSeconds);
                    await Task.Delay(delay, _time, cancellationToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
                    break;
            }
        }

        return true;
    }

    /// <summary>One last attempt for what is in flight and buffered, within the shutdown timeout; what is left is counted as dropped.</summary>
    private async Task FlushAtShutdownAsync(CancellationToken cancellationToken)
    {
        _buffer.Writer.TryComplete();
        if (_batch.Count > 0)
        {
            StartBatch();
        }

        using var timeout = new CancellationTokenSource(_options.ShutdownFlushTimeout, _time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var healthy = await WritePendingAsync(retry: false, deadline.Token);
            while (healthy && _buffer.Reader.TryPeek(out _))
            {
                Drain();
                StartBatch();
                healthy = await WritePendingAsync(retry: false, deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }

        var lost = Interlocked.Exchange(ref _inFlight, 0) + _buffer.Reader.Count;
        _pending.Clear();
        while (_buffer.Reader.TryRead(out _))
        {
        }

        if (lost > 0)
        {
            _metrics.AddDropped(lost);
            LogLostAtShutdown(_logger, lost);
        }
    }

    private void StartBatch()
    {
        _pending.Push(_batch.ToArray());
        Interlocked.Add(ref _inFlight, _batch.Count);
        _batch.Clear();
    }

    private void Complete()
    {
        var lines = _pending.Pop();
        Interlocked.Add(ref _inFlight, -lines.Count);
    }

    public override void Dispose()
    {
        _api.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Telemetry history goes to InfluxDB {Target}: batches of up to {BatchSize} lines, at most {MaxBuffered} lines buffered")]
    private static partial void LogStarted(ILogger logger, string target, int batchSize, int maxBuffered);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Writing {Count} lines to InfluxDB failed ({Error}); kept, {Buffered} more buffered, trying again in {Seconds} s")]
    private static partial void LogWriteFailed(ILogger logger, int count, string? error, int buffered, double seconds);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "InfluxDB accepts writes again after {Failures} failed attempts")]
    private static partial void LogRecovered(ILogger logger, int failures);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "InfluxDB refused a batch of {Count} lines ({Error}); splitting it to find the bad lines")]
    private static partial void LogBatchRefused(ILogger logger, int count, string? error);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "InfluxDB rejected a line, dropped ({Error}): {Line}")]
    private static partial void LogLineRejected(ILogger logger, string? error, string line);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Warning, Message = "{Count} telemetry lines could not be written before shutdown and are lost")]
    private static partial void LogLostAtShutdown(ILogger logger, long count);
}

using System.Text;
namespace Facilities.Cloud.TelemetryStore;

/// <summary>
/// Sends the history outbox to InfluxDB: claims the oldest rows with a lease, writes their lines in batches of up to
/// <see cref="InfluxOptions.BatchSize"/>, and deletes a row only once InfluxDB acknowledged every line of it. A write
/// that fails to arrive (unreachable, timeout, 5xx, 401/403/404) gives the rows back and is tried again with exponential
/// backoff; the rows stay in the database meanwhile, across restarts and crashes. A batch the server refuses as bad data
/// is split in halves until the bad lines are isolated, and only they are dropped (counted as rejected). Delivery is at
/// least once: a row written whose delete did not happen (a crash, an expired lease) is written again, which is harmless
/// because a point with the same series and time overwrites itself. Beside the sending, the backlog is measured every
/// <see cref="InfluxOptions.BacklogCheckInterval"/> and trimmed, oldest rows first, to <see cref="InfluxOptions.MaxBacklogBytes"/>.
/// </summary>
internal sealed partial class HistoryDrainer : BackgroundService
{
    private const int MaxClaimRows = 1000;
    private readonly InfluxOptions _options;
    private readonly HistoryOutboxStore _outbox;
    private readonly TelemetryStoreMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<HistoryDrainer> _logger;
    private readonly InfluxWriteApi _api;

    /// <summary>Rows to claim next: about a batch's worth, judged by the lines per row of the last claim.</summary>
    private int _claimRows = 16;

    public HistoryDrainer(InfluxOptions options, HistoryOutboxStore outbox, TelemetryStoreMetrics metrics, TimeProvider time, ILogger<HistoryDrainer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _outbox = outbox;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _api = new InfluxWriteApi(options);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var target = _options.Describe();
        LogStarted(_logger, target, _options.BatchSize, _options.MaxBacklogBytes);
        try
        {
            await Task.WhenAll(DrainAsync(stoppingToken), WatchBacklogAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task DrainAsync(CancellationToken stoppingToken)
    {
        var delay = _options.MinRetryDelay;
        var failures = 0;
        while (true)
        {
            stoppingToken.ThrowIfCancellationRequested();
            bool written;
            try
            {
                var now = _time.GetUtcNow();
                var rows = await _outbox.ClaimAsync(_claimRows, now, now + _options.LeaseTime, stoppingToken);
                if (rows.Count == 0)
                {
                    if (await WaitForRowsAsync(stoppingToken))
                    {
                        await GatherAsync(stoppingToken);
                    }

                    continue;
                }

                var lines = rows.Sum(r => r.Lines);
                _claimRows = (int)Math.Clamp(_options.BatchSize * rows.Count / Math.Max(lines, 1), 1, MaxClaimRows);
                written = await SendAsync(rows, stoppingToken);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                // The database, not InfluxDB: the rows stay where they are (leased ones come back when the lease runs out).
                LogDatabaseFailed(_logger, error.Message, delay.TotalSeconds);
                written = false;
            }

            if (written)
            {
                if (failures > 0)
                {
                    LogRecovered(_logger, failures);
                    failures = 0;
                }

                delay = _options.MinRetryDelay;
                continue;
            }

            failures++;
            await Task.Delay(delay, _time, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        }
    }

    /// <summary>Waits for this process to record rows, or for the poll interval (rows of other instances); true when told of rows.</summary>
    private async Task<bool> WaitForRowsAsync(CancellationToken stoppingToken)
    {
        using var poll = new CancellationTokenSource(_options.PollInterval, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, poll.Token);
        var told = await _outbox.WaitForAnnouncementAsync(linked.Token);
        stoppingToken.ThrowIfCancellationRequested();
        return told;
    }

    /// <summary>
    /// After a quiet spell, lets this process's new lines gather into one request: until a batch's worth was recorded, no
    /// new line came for <see cref="InfluxOptions.FlushWhenIdle"/>, or <see cref="InfluxOptions.FlushInterval"/> passed.
    /// </summary>
    private async Task GatherAsync(CancellationToken stoppingToken)
    {
        var lines = _outbox.TakeAnnounced();
        using var window = new CancellationTokenSource(_options.FlushInterval, _time);
        while (lines < _options.BatchSize)
        {
            using var idle = new CancellationTokenSource(_options.FlushWhenIdle, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, window.Token, idle.Token);
            if (!await _outbox.WaitForAnnouncementAsync(linked.Token))
            {
                break;
            }

            lines += _outbox.TakeAnnounced();
        }

        stoppingToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Writes the claimed rows, a request per group of whole rows (a row of more than a batch is sent in several), and
    /// deletes each group once it is written. False when a write failed: the rows not deleted are given back.
    /// </summary>
    private async Task<bool> SendAsync(IReadOnlyList<HistoryRow> rows, CancellationToken stoppingToken)
    {
        var next = 0;
        try
        {
            while (next < rows.Count)
            {
                var group = 1;
                var count = rows[next].Lines;
                while (next + group < rows.Count && count + rows[next + group].Lines <= _options.BatchSize)
                {
                    count += rows[next + group].Lines;
                    group++;
                }

                var ids = rows.Skip(next).Take(group).Select(r => r.Id).ToList();
                if (!await WriteRowsAsync([.. rows.Skip(next).Take(group)], count, stoppingToken))
                {
                    await _outbox.ReleaseAsync([.. rows.Skip(next).Select(r => r.Id)], stoppingToken);
                    return false;
                }

                await _outbox.DeleteAsync(ids, stoppingToken);
                next += group;
            }

            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: give the rows back so the next start, or another instance, need not wait out the lease.
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _outbox.ReleaseAsync([.. rows.Skip(next).Select(r => r.Id)], quick.Token);
            }
            catch (Exception error)
            {
                LogReleaseFailed(_logger, error.Message);
            }

            throw;
        }
    }

    /// <summary>
    /// Writes a group of rows: as they are stored, in one request, when they hold at most a batch; split into lines
    /// when they hold more, or when the server refused them as bad data. False when a request failed to arrive.
    /// </summary>
    private async Task<bool> WriteRowsAsync(HistoryRow[] group, long count, CancellationToken stoppingToken)
    {
        if (count <= _options.BatchSize)
        {
            var outcome = await _api.WriteAsync([.. group.Select(r => r.Body)], stoppingToken);
            switch (outcome.Status)
            {
                case WriteStatus.Written:
                    _metrics.AddWritten(count);
                    return true;
                case WriteStatus.Failed:
                    Failed(outcome, count);
                    return false;
            }

            LogBatchRefused(_logger, count, outcome.Error);
            if (count == 1)
            {
                Rejected(outcome, Encoding.UTF8.GetString(group[0].Body).TrimEnd('\n'));
                return true;
            }
        }

        var lines = group.SelectMany(r => Encoding.UTF8.GetString(r.Body).Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var chunk = count <= _options.BatchSize ? (lines.Length + 1) / 2 : _options.BatchSize; // refused as a whole: its halves next
        for (var start = 0; start < lines.Length; start += chunk)
        {
            if (!await WriteLinesAsync(new ArraySegment<string>(lines, start, Math.Min(chunk, lines.Length - start)), stoppingToken))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One request, split in halves while the server refuses it as bad data. False when it failed to arrive.</summary>
    private async Task<bool> WriteLinesAsync(ArraySegment<string> batch, CancellationToken stoppingToken)
    {
        var pending = new Stack<ArraySegment<string>>();
        pending.Push(batch);
        var splitLogged = false;
        while (pending.TryPeek(out var lines))
        {
            var outcome = await _api.WriteAsync(lines, stoppingToken);
            switch (outcome.Status)
            {
                case WriteStatus.Written:
                    pending.Pop();
                    _metrics.AddWritten(lines.Count);
                    break;

                case WriteStatus.Refused when lines.Count == 1:
                    pending.Pop();
                    Rejected(outcome, lines[0]);
                    break;

                case WriteStatus.Refused:
                    pending.Pop();
                    if (!splitLogged)
                    {
                        LogBatchRefused(_logger, lines.Count, outcome.Error);
                        splitLogged = true;
                    }

                    var half = lines.Count / 2;
                    pending.Push(lines[half..]);
                    pending.Push(lines[..half]);
                    break;

                default:
                    Failed(outcome, lines.Count);
                    return false;
            }
        }

        return true;
    }

    private void Rejected(WriteOutcome outcome, string line)
    {
        _metrics.AddRejected(1);
        _metrics.SetLastError(outcome.Error ?? "refused", _time.GetUtcNow());
        LogLineRejected(_logger, outcome.Error, line);
    }

    private void Failed(WriteOutcome outcome, long lines)
    {
        _metrics.SetLastError(outcome.Error ?? "failed", _time.GetUtcNow());
        _metrics.AddRetry();
        LogWriteFailed(_logger, lines, outcome.Error);
    }

    /// <summary>Measures the backlog for /metrics and /healthz and trims it to its bound, every <see cref="InfluxOptions.BacklogCheckInterval"/>.</summary>
    private async Task WatchBacklogAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                var now = _time.GetUtcNow();
                var backlog = await _outbox.BacklogAsync(stoppingToken);
                if (backlog.Bytes > _options.MaxBacklogBytes)
                {
                    var dropped = await _outbox.TrimAsync(_options.MaxBacklogBytes, now, stoppingToken);
                    if (dropped.Rows > 0)
                    {
                        _metrics.AddDropped(dropped, now);
                        LogDropped(_logger, dropped.Lines, dropped.Bytes, dropped.Rows, _options.MaxBacklogBytes);
                        backlog = await _outbox.BacklogAsync(stoppingToken);
                    }
                }

                _metrics.SetBacklog(backlog, now);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                LogBacklogCheckFailed(_logger, error.Message);
            }

            await Task.Delay(_options.BacklogCheckInterval, _time, stoppingToken);
        }
    }

    public override void Dispose()
    {
        _api.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Telemetry history goes to InfluxDB {Target} through the history outbox: batches of up to {BatchSize} lines, at most {MaxBacklogBytes} bytes waiting")]
    private static partial void LogStarted(ILogger logger, string target, int batchSize, long maxBacklogBytes);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Writing {Count} lines to InfluxDB failed ({Error}); they stay in the history outbox and are tried again with backoff")]
    private static partial void LogWriteFailed(ILogger logger, long count, string? error);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "InfluxDB accepts writes again after {Failures} failed attempts")]
    private static partial void LogRecovered(ILogger logger, int failures);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "InfluxDB refused a batch of {Count} lines ({Error}); splitting it to find the bad lines")]
    private static partial void LogBatchRefused(ILogger logger, long count, string? error);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "InfluxDB rejected a line, dropped ({Error}): {Line}")]
    private static partial void LogLineRejected(ILogger logger, string? error, string line);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Error, Message = "Telemetry history lost: dropped the oldest {Lines} lines ({Bytes} bytes, {Rows} rows) of the history outbox, which held more than Influx:MaxBacklogBytes = {MaxBacklogBytes} while InfluxDB did not take them")]
    private static partial void LogDropped(ILogger logger, long lines, long bytes, long rows, long maxBacklogBytes);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Warning, Message = "The history outbox could not be read or updated ({Error}); trying again in {Seconds} s")]
    private static partial void LogDatabaseFailed(ILogger logger, string error, double seconds);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Warning, Message = "Measuring the history outbox failed ({Error})")]
    private static partial void LogBacklogCheckFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 8009, Level = LogLevel.Warning, Message = "Giving the claimed history rows back at shutdown failed ({Error}); they are taken over when their lease runs out")]
    private static partial void LogReleaseFailed(ILogger logger, string error);
}

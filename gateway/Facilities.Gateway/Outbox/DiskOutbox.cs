using System.Globalization;
using Facilities.Gateway.Polling;

namespace Facilities.Gateway.Outbox;

public sealed record OutboxOptions
{
    public required string Directory { get; init; }

    /// <summary>Bytes of unacknowledged messages kept; beyond it the oldest telemetry goes first, then the oldest events.</summary>
    public long MaxBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>A segment file is closed and a new one started past this size; fully acknowledged segments are deleted.</summary>
    public long SegmentBytes { get; init; } = 1024 * 1024;

    /// <summary>How long messages gather before one append and one fsync (SD cards wear with every write).</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// Store and forward on disk. Every message gets the gateway's next sequence number and is appended to a segment
/// file, in batches with one fsync each, before the publisher may send it; it stays until the broker acknowledges
/// it. Segments are append-only (no rewrite in place); the acknowledgement watermark lives in a small state file
/// replaced atomically. After a restart everything above the watermark is sent again, in order, so each sequence
/// number arrives at least once. The publisher takes events before telemetry, so live alarms overtake a backlog.
/// When the bound is reached the oldest telemetry is dropped first, and every drop is counted.
/// </summary>
public sealed partial class DiskOutbox : IMessageSink, IAsyncDisposable
{
    private const string StateFile = "outbox.state";

    private readonly OutboxOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<OutboxMessage> _unwritten = [];
    private readonly LinkedList<OutboxMessage> _events = new();
    private readonly LinkedList<OutboxMessage> _telemetry = new();
    private readonly SortedSet<long> _doneAbove = [];
    private readonly List<(string Path, long LastSeq)> _closedSegments = [];
    private readonly SemaphoreSlim _ready = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _writer;
    private FileStream? _segment;
    private long _segmentLastSeq;
    private readonly Dictionary<long, OutboxMessage> _inFlight = [];

    // Sequence numbers start at 1; the watermark is the highest number below which everything is done.
    private long _nextSeq = 1;
    private long _watermark;
    private long _savedWatermark;
    private long _bytes;

    public DiskOutbox(OutboxOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        Directory.CreateDirectory(options.Directory);
        Recover();
        _writer = WriteLoopAsync();
    }

    /// <summary>Messages waiting for the broker (written or about to be).</summary>
    public long Depth
    {
        get
        {
            lock (_gate)
            {
                return _events.Count + _telemetry.Count + _unwritten.Count;
            }
        }
    }

    public long Dropped { get; private set; }

    /// <summary>The sample time of the oldest waiting message is the payload's business; this is its sequence number.</summary>
    public long OldestWaiting
    {
        get
        {
            lock (_gate)
            {
                return Math.Min(_events.First?.Value.Seq ?? long.MaxValue, _telemetry.First?.Value.Seq ?? long.MaxValue);
            }
        }
    }

    public long NextSequence
    {
        get
        {
            lock (_gate)
            {
                return _nextSeq;
            }
        }
    }

    public void Enqueue(string topic, bool retain, MessageClass messageClass, Func<long, byte[]> payload)
    {
        lock (_gate)
        {
            var message = new OutboxMessage(_nextSeq++, topic, retain, messageClass, payload(_nextSeq - 1));
            _unwritten.Add(message);
            _bytes += OutboxRecord.Size(message);
            EnforceBound();
        }
    }

    /// <summary>The next message to publish: the oldest event if any, else the oldest telemetry. Waits until one is on disk.</summary>
    public async Task<OutboxMessage> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                var list = _events.Count > 0 ? _events : _telemetry;
                if (list.First is { } first)
                {
                    list.RemoveFirst();
                    _inFlight[first.Value.Seq] = first.Value;
                    return first.Value;
                }
            }

            await _ready.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The broker acknowledged the message: it may leave the disk.</summary>
    public void Acknowledge(long seq)
    {
        lock (_gate)
        {
            if (_inFlight.Remove(seq, out var message))
            {
                _bytes -= OutboxRecord.Size(message);
            }

            Done(seq);
        }
    }

    /// <summary>Publishing failed (no connection): the message goes back to the front of its queue.</summary>
    public void Return(OutboxMessage message)
    {
        lock (_gate)
        {
            if (_inFlight.Remove(message.Seq))
            {
                var list = message.Class == MessageClass.Event ? _events : _telemetry;
                var node = list.First;
                while (node is not null && node.Value.Seq < message.Seq)
                {
                    node = node.Next;
                }

                if (node is null)
                {
                    list.AddLast(message);
                }
                else
                {
                    list.AddBefore(node, message);
                }
            }
        }

        _ready.Release();
    }

    private void EnforceBound()
    {
        while (_bytes > _options.MaxBytes)
        {
            var victim = _telemetry.First ?? _events.First;
            if (victim is null)
            {
                // Only unwritten messages remain: drop the oldest of them.
                var oldest = _unwritten.FirstOrDefault(m => m.Class == MessageClass.Telemetry) ?? _unwritten.FirstOrDefault();
                if (oldest is null)
                {
                    return;
                }

                _unwritten.Remove(oldest);
                DropLocked(oldest);
                continue;
            }

            victim.List!.Remove(victim);
            DropLocked(victim.Value);
        }
    }

    private void DropLocked(OutboxMessage message)
    {
        _bytes -= OutboxRecord.Size(message);
        Dropped++;
        Done(message.Seq);
        if (Dropped == 1 || Dropped % 1000 == 0)
        {
            LogDropped(_logger, Dropped, _options.MaxBytes);
        }
    }

    private void Done(long seq)
    {
        if (seq <= _watermark)
        {
            return;
        }

        _doneAbove.Add(seq);
        while (_doneAbove.Min == _watermark + 1)
        {
            _doneAbove.Remove(_watermark + 1);
            _watermark++;
        }
    }

    private async Task WriteLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                Flush();
            }
        }
        catch (OperationCanceledException)
        {
        }

        Flush();
    }

    /// <summary>Appends what gathered since the last tick in one write and one fsync, then lets the publisher have it.</summary>
    internal void Flush()
    {
        List<OutboxMessage> batch;
        long watermark;
        lock (_gate)
        {
            batch = [.. _unwritten];
            _unwritten.Clear();
            watermark = _watermark;
        }

        if (batch.Count > 0)
        {
            var segment = _segment ??= OpenSegment(batch[0].Seq);
            foreach (var message in batch)
            {
                OutboxRecord.Write(segment, message);
            }

            segment.Flush(flushToDisk: true);
            _segmentLastSeq = batch[^1].Seq;
            lock (_gate)
            {
                foreach (var message in batch.Where(m => m.Seq > _watermark))
                {
                    (message.Class == MessageClass.Event ? _events : _telemetry).AddLast(message);
                }
            }

            _ready.Release(batch.Count);
            if (segment.Length >= _options.SegmentBytes)
            {
                CloseSegment();
            }
        }

        if (watermark != _savedWatermark)
        {
            SaveState(watermark);
            DeleteAcknowledgedSegments(watermark);
        }
    }

    private FileStream OpenSegment(long firstSeq) => new(
        Path.Combine(_options.Directory, $"segment-{firstSeq:D19}.log"), FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024);

    private void CloseSegment()
    {
        if (_segment is null)
        {
            return;
        }

        _closedSegments.Add((_segment.Name, _segmentLastSeq));
        _segment.Dispose();
        _segment = null;
    }

    private void SaveState(long watermark)
    {
        var path = Path.Combine(_options.Directory, StateFile);
        var temporary = path + ".tmp";
        long next;
        lock (_gate)
        {
            next = _nextSeq;
        }

        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            using var writer = new StreamWriter(file);
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"{watermark} {next}\n"));
            writer.Flush();
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        _savedWatermark = watermark;
    }

    private void DeleteAcknowledgedSegments(long watermark)
    {
        foreach (var segment in _closedSegments.Where(s => s.LastSeq <= watermark).ToList())
        {
            File.Delete(segment.Path);
            _closedSegments.Remove(segment);
        }
    }

    private void Recover()
    {
        var statePath = Path.Combine(_options.Directory, StateFile);
        if (File.Exists(statePath))
        {
            var parts = File.ReadAllText(statePath).Split(' ', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var watermark) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var next))
            {
                _watermark = _savedWatermark = watermark;
                _nextSeq = next;
            }
        }

        var recovered = 0;
        foreach (var path in Directory.EnumerateFiles(_options.Directory, "segment-*.log").Order(StringComparer.Ordinal))
        {
            var last = -1L;
            foreach (var message in OutboxRecord.ReadAll(path))
            {
                last = message.Seq;
                _nextSeq = Math.Max(_nextSeq, message.Seq + 1);
                if (message.Seq > _watermark)
                {
                    (message.Class == MessageClass.Event ? _events : _telemetry).AddLast(message);
                    _bytes += OutboxRecord.Size(message);
                    recovered++;
                }
            }

            _closedSegments.Add((path, last));
        }

        if (_nextSeq <= _watermark)
        {
            _nextSeq = _watermark + 1;
        }

        if (recovered > 0)
        {
            _ready.Release(recovered);
            LogRecovered(_logger, recovered, _options.Directory);
        }

        DeleteAcknowledgedSegments(_watermark);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _writer;
        CloseSegment();
        _stopping.Dispose();
    }

    [LoggerMessage(200, LogLevel.Information, "Outbox recovered {Count} unacknowledged messages from {Directory}")]
    private static partial void LogRecovered(ILogger logger, int count, string directory);

    [LoggerMessage(201, LogLevel.Warning, "Outbox full ({MaxBytes} bytes): {Dropped} messages dropped so far, oldest telemetry first")]
    private static partial void LogDropped(ILogger logger, long dropped, long maxBytes);
}

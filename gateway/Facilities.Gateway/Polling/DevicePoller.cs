using Facilities.Gateway.Profiles;
using Facilities.Modbus.Master;
using Facilities.Modbus.Protocol;
using Facilities.Telemetry;

namespace Facilities.Gateway.Polling;

/// <summary>Who and where a polled device is.</summary>
public sealed record PolledDevice(string Site, string Gateway, string Id, string Building, byte Unit, CompiledProfile Profile, TimeSpan Interval);

/// <summary>How the poller treats failing devices.</summary>
public sealed record PollingPolicy
{
    /// <summary>Consecutive failed polls before a device is declared offline.</summary>
    public int OfflineAfter { get; set; } = 3;

    /// <summary>Longest wait between polls of a failing device.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a device waits after its <paramref name="failuresInARow"/>-th failed poll in a row: the poll interval
    /// or twice what the failed poll held the line (a timeout, on a dead device), whichever is longer, doubled with
    /// every further failure, at most <see cref="MaxBackoff"/>. Measured from the line's loss rather than the
    /// interval, a failing device takes at most a third of its line's time, and half as much with every further
    /// failure; a lone lost answer costs one longer gap.
    /// </summary>
    public TimeSpan WaitAfterFailure(int failuresInARow, TimeSpan interval, TimeSpan pollCost)
    {
        var first = Math.Max(interval.Ticks, 2 * pollCost.Ticks);
        return TimeSpan.FromTicks((long)Math.Min(MaxBackoff.Ticks, first * Math.Pow(2, failuresInARow - 1)));
    }
}

/// <summary>
/// Polls one device: reads its plan's blocks, splits reads the device refuses with exception 2, fails fast on the
/// first timeout (the rest of the cycle is skipped so neighbours on the bus keep their time), backs off
/// exponentially from the first failure (<see cref="PollingPolicy.WaitAfterFailure"/>), is declared offline after
/// <see cref="PollingPolicy.OfflineAfter"/> failures and returns to its interval at the first good answer. What it
/// reads goes through the change filter to the sink as telemetry, events and online/offline state.
/// </summary>
public sealed partial class DevicePoller
{
    private readonly PolledDevice _device;
    private readonly List<PollGroup> _groups;
    private readonly ChangeFilter _filter;
    private readonly IMessageSink _sink;
    private readonly TimeProvider _time;
    private readonly PollingPolicy _policy;
    private readonly ILogger _logger;
    private int _failures;
    private int _reportedUnavailable;

    public DevicePoller(PolledDevice device, IMessageSink sink, TimeProvider time, PollingPolicy policy, ILogger logger)
    {
        _device = device;
        // Points that name their own interval (an AED's door every few seconds, its climate every minute) form
        // groups with their own schedule; each group has its own read plan.
        _groups = [.. device.Profile.Points
            .GroupBy(p => p.Interval ?? device.Interval)
            .OrderBy(g => g.Key)
            .Select(g => new PollGroup(g.Key, new DeviceReadPlan(g, device.Profile.MaxGap, device.Profile.MaxRegistersPerRead), time.GetUtcNow()))];
        _filter = new ChangeFilter(device.Profile.Points, device.Profile.Heartbeat);
        _sink = sink;
        _time = time;
        _policy = policy;
        _logger = logger;
    }

    public string Id => _device.Id;

    public PolledDevice Device => _device;

    public int Priority => _device.Profile.Priority;

    /// <summary>When the next group of points is due.</summary>
    public DateTimeOffset NextDue => _groups.Min(g => g.NextDue);

    /// <summary>Null until the first poll settles it.</summary>
    public bool? Online { get; private set; }

    /// <summary>The read plans, one per poll interval the profile uses.</summary>
    public IEnumerable<DeviceReadPlan> Plans => _groups.Select(g => g.Plan);

    public long Polls { get; private set; }

    public long Failures { get; private set; }

    /// <summary>Total time spent polling this device (for bus utilisation and mean poll latency).</summary>
    public TimeSpan BusyTime { get; private set; }

    public long ExceptionAnswers { get; private set; }

    public async Task PollAsync(ModbusMaster master, CancellationToken cancellationToken)
    {
        Polls++;
        var started = _time.GetTimestamp();
        try
        {
            await PollOnceAsync(master, started, cancellationToken);
        }
        finally
        {
            BusyTime += _time.GetElapsedTime(started);
        }
    }

    private async Task PollOnceAsync(ModbusMaster master, long started, CancellationToken cancellationToken)
    {
        var sampledAt = _time.GetUtcNow();
        var sample = new Dictionary<string, PointValue>(StringComparer.Ordinal);
        var due = _groups.Where(g => g.NextDue <= sampledAt).DefaultIfEmpty(_groups.MinBy(g => g.NextDue)!).ToList();
        var pending = new Queue<(PollGroup Group, ReadBlock Block)>(due.SelectMany(g => g.Plan.Blocks.Select(b => (g, b))));
        Exception? failure = null;
        while (pending.TryDequeue(out var item))
        {
            var (group, block) = item;
            try
            {
                var (code, words) = await ReadAsync(master, block, cancellationToken);
                if (code == ModbusExceptionCode.IllegalDataAddress)
                {
                    foreach (var part in group.Plan.Refused(block))
                    {
                        pending.Enqueue((group, part));
                    }

                    continue;
                }

                if (code != ModbusExceptionCode.None)
                {
                    ExceptionAnswers++;
                    LogRefused(_logger, _device.Id, block.ToString(), code);
                    continue;
                }

                foreach (var point in block.Points)
                {
                    sample[point.Name] = PointDecoder.Decode(point, words.AsSpan(point.Address - block.Start));
                }
            }
            catch (ModbusTransportException e)
            {
                failure = e;
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A fault of ours (a profile the device contradicts, a decoding bug) must not stop the lane:
                // it counts as a failed poll, is logged, and the device is retried with backoff.
                LogPollError(_logger, _device.Id, e);
                failure = e;
                break;
            }
        }

        ReportUnavailable();
        var now = _time.GetUtcNow();
        if (failure is not null)
        {
            Failed(failure, now, _time.GetElapsedTime(started));
            return;
        }

        Succeeded(sample, sampledAt, now);
        foreach (var group in due)
        {
            // Next poll on the group's interval grid, never bunched up to catch lost time.
            group.NextDue = group.NextDue + group.Interval > now ? group.NextDue + group.Interval : now + group.Interval;
        }
    }

    private void Failed(Exception failure, DateTimeOffset now, TimeSpan pollCost)
    {
        Failures++;
        _failures++;
        if (_failures >= _policy.OfflineAfter && Online != false)
        {
            Online = false;
            LogOffline(_logger, _device.Id, _failures, failure.Message);
            EmitState(DeviceStateMessage.Offline, failure.Message, now);
        }

        var wait = _policy.WaitAfterFailure(_failures, _groups.Min(g => g.Interval), pollCost);
        foreach (var group in _groups)
        {
            // The whole device waits: a timeout says nothing about one group more than another.
            group.NextDue = now + (wait > group.Interval ? wait : group.Interval);
        }
    }

    private void Succeeded(Dictionary<string, PointValue> sample, DateTimeOffset sampledAt, DateTimeOffset now)
    {
        _failures = 0;
        if (Online != true)
        {
            if (Online == false)
            {
                LogOnline(_logger, _device.Id);
            }

            Online = true;
            _filter.Reset();
            EmitState(DeviceStateMessage.Online, null, now);
        }

        var result = _filter.Apply(sample, sampledAt);
        var d = _device;
        if (result.Telemetry.Count > 0 || result.Labels.Count > 0)
        {
            _sink.Enqueue(Topics.Telemetry(d.Site, d.Gateway, d.Id), retain: false, MessageClass.Telemetry, seq => MessageJson.Serialize(
                new TelemetryMessage(Schema.Version, seq, sampledAt, d.Id, d.Profile.Kind, d.Building, result.Telemetry,
                    result.Labels.Count > 0 ? result.Labels : null, result.Heartbeat)));
        }

        foreach (var change in result.Events)
        {
            _sink.Enqueue(Topics.Events(d.Site, d.Gateway, d.Id), retain: false, MessageClass.Event, seq => MessageJson.Serialize(
                new EventMessage(Schema.Version, seq, sampledAt, d.Id, d.Profile.Kind, d.Building, change.Point.Name,
                    change.Value.Number, change.Value.Label, change.Previous?.Number, change.Previous?.Label)));
        }

    }

    private void EmitState(string state, string? reason, DateTimeOffset now)
    {
        var d = _device;
        _sink.Enqueue(Topics.DeviceState(d.Site, d.Gateway, d.Id), retain: true, MessageClass.Event, seq => MessageJson.Serialize(
            new DeviceStateMessage(Schema.Version, seq, now, d.Id, d.Profile.Kind, d.Building, state, reason)));
    }

    private void ReportUnavailable()
    {
        var unavailable = _groups.SelectMany(g => g.Plan.Unavailable).ToList();
        if (unavailable.Count > _reportedUnavailable)
        {
            var names = string.Join(", ", unavailable.Skip(_reportedUnavailable).Select(p => $"{p.Name} ({p.Table} {p.Address})"));
            LogUnavailable(_logger, _device.Id, names);
            _reportedUnavailable = unavailable.Count;
        }
    }

    /// <summary>Points polled on one interval.</summary>
    private sealed class PollGroup(TimeSpan interval, DeviceReadPlan plan, DateTimeOffset nextDue)
    {
        public TimeSpan Interval { get; } = interval;

        public DeviceReadPlan Plan { get; } = plan;

        public DateTimeOffset NextDue { get; set; } = nextDue;
    }

    private async Task<(ModbusExceptionCode Code, ushort[] Words)> ReadAsync(ModbusMaster master, ReadBlock block, CancellationToken cancellationToken)
    {
        var unit = _device.Unit;
        var count = (ushort)block.Count;
        switch (block.Table)
        {
            case RegisterTable.Coils or RegisterTable.DiscreteInputs:
                var bits = block.Table == RegisterTable.Coils
                    ? await master.ReadCoilsAsync(unit, block.Start, count, cancellationToken)
                    : await master.ReadDiscreteInputsAsync(unit, block.Start, count, cancellationToken);
                return bits.IsSuccess ? (ModbusExceptionCode.None, [.. bits.Value.Select(b => b ? (ushort)1 : (ushort)0)]) : (bits.ExceptionCode, []);
            default:
                var words = new ushort[count];
                var result = block.Table == RegisterTable.InputRegisters
                    ? await master.ReadInputRegistersAsync(unit, block.Start, words, cancellationToken)
                    : await master.ReadHoldingRegistersAsync(unit, block.Start, words, cancellationToken);
                return (result.ExceptionCode, words);
        }
    }

    [LoggerMessage(100, LogLevel.Warning, "Device {Device} is offline after {Failures} failed polls: {Reason}")]
    private static partial void LogOffline(ILogger logger, string device, int failures, string reason);

    [LoggerMessage(101, LogLevel.Information, "Device {Device} is back online")]
    private static partial void LogOnline(ILogger logger, string device);

    [LoggerMessage(102, LogLevel.Warning, "Device {Device} does not have these points of its profile; they are no longer read: {Points}")]
    private static partial void LogUnavailable(ILogger logger, string device, string points);

    [LoggerMessage(104, LogLevel.Error, "Polling device {Device} failed unexpectedly")]
    private static partial void LogPollError(ILogger logger, string device, Exception exception);

    [LoggerMessage(103, LogLevel.Debug, "Device {Device} refused {Block} with {Code}")]
    private static partial void LogRefused(ILogger logger, string device, string block, ModbusExceptionCode code);
}

using Facilities.Cloud.Domain.Alerts;
using Facilities.FirmwareSim.Devices;
using Facilities.FirmwareSim.Devices.Elevator;
using Facilities.Gateway.Polling;
using Facilities.Gateway.Profiles;
using Facilities.Modbus.Protocol;

namespace Facilities.EstateSimulation;

/// <summary>A message the virtual gateway sends: readings, or a link-state change.</summary>
public sealed record SimMessage(DateTimeOffset At, ReplayDevice Device, IReadOnlyList<ReplayReading> Readings, bool? Online = null, string? Reason = null);

/// <summary>One device with its virtual gateway poller: the model, the profile's decode and change filter, the offline logic.</summary>
public sealed class SimDevice(DeviceModel model, CompiledProfile profile, ReplayDevice device, DateTimeOffset firstPoll, int seed, int bottomFloor, int topFloor)
{
    private static readonly PollingPolicy Policy = new();

    // The site file's bus timeout: a dead or slow device holds the line this long per failed poll.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private readonly ChangeFilter _filter = new(profile.Points, profile.Heartbeat);
    private readonly Random _traffic = new(seed);
    private readonly Dictionary<string, PointValue> _sample = new(StringComparer.Ordinal);
    private readonly DeviceReadPlan _plan = new(profile);
    private readonly ushort[] _words = new ushort[256];
    private DateTimeOffset _nextPoll = firstPoll;
    private bool? _online;
    private int _failures;
    private int _nextAction;

    public DeviceModel Model { get; } = model;

    public string Id => device.Device;

    public List<(DateTimeOffset At, string Fault, bool Inject)> Actions { get; } = [];

    public long Polls { get; private set; }

    /// <summary>Runs the device from <paramref name="from"/> to <paramref name="to"/>, polling every <paramref name="interval"/>; the messages it sends.</summary>
    public List<SimMessage> Simulate(DateTimeOffset from, DateTimeOffset to, TimeSpan interval)
    {
        var messages = new List<SimMessage>();
        while (_nextPoll < to)
        {
            var now = _nextPoll;
            while (_nextAction < Actions.Count && Actions[_nextAction].At <= now)
            {
                var (at, fault, inject) = Actions[_nextAction++];
                if (!(inject ? Model.Inject(fault, at) : Model.Clear(fault, at)))
                {
                    throw new InvalidOperationException($"{Id} does not know the fault '{fault}'");
                }
            }

            if (Model is ElevatorModel elevator)
            {
                Traffic(elevator, now, interval);
            }

            Model.Advance(now);
            Poll(now, interval, messages);
        }

        return messages;
    }

    /// <summary>Residents call the car: few at night, the morning rush down and the evening rush up (local time, UTC+8).</summary>
    private void Traffic(ElevatorModel elevator, DateTimeOffset now, TimeSpan interval)
    {
        if (Model.HasFault("inspection-mode"))
        {
            return; // a maintainer has the car: no passengers
        }

        var hour = now.ToOffset(TimeSpan.FromHours(8)).Hour;
        double perHour = hour switch
        {
            < 6 => 4,
            < 7 => 30,
            < 9 => 110,
            < 11 => 40,
            < 13 => 70,
            < 17 => 40,
            < 20 => 110,
            < 23 => 50,
            _ => 12,
        };
        // Under one call a poll (the month) it is one draw. A poll spanning many calls (the demo's hourly backfill) draws
        // twice as many chances at half the odds, so a day's count varies as residents' does instead of being the mean.
        var expected = perHour * interval.TotalHours;
        var trials = expected <= 0 ? 0 : expected < 1 ? 1 : (int)Math.Ceiling(2 * expected);
        for (var i = 0; i < trials; i++)
        {
            if (_traffic.NextDouble() < expected / trials)
            {
                elevator.Call(_traffic.Next(bottomFloor, topFloor + 1));
            }
        }
    }

    /// <summary>What the gateway's DevicePoller does with one poll: read and decode, filter, or fail and back off.</summary>
    private void Poll(DateTimeOffset now, TimeSpan interval, List<SimMessage> messages)
    {
        Polls++;
        var unit = Model.Unit;
        if (!unit.Online || unit.CorruptResponses || unit.ResponseDelay >= Timeout)
        {
            // No answer, a late one or a damaged frame: a transport failure.
            _failures++;
            if (_failures >= Policy.OfflineAfter && _online != false)
            {
                _online = false;
                messages.Add(new SimMessage(now + Timeout, device, [], Online: false, Reason: "no answer (timeout)"));
            }

            _nextPoll = now + Max(Policy.WaitAfterFailure(_failures, interval, Timeout), interval);
            return;
        }

        _failures = 0;
        _nextPoll = now + interval;
        if (_online != true)
        {
            _online = true;
            _filter.Reset();
            messages.Add(new SimMessage(now, device, [], Online: true));
        }

        _sample.Clear();
        if (unit.ForcedException == ModbusExceptionCode.None)
        {
            // The gateway's own read plan: merged blocks, split where the device refuses one (exception 2). An
            // exception answer (busy, failure) refuses every block: the poll succeeds with nothing in it.
            var pending = new Queue<ReadBlock>(_plan.Blocks);
            while (pending.TryDequeue(out var block))
            {
                var words = _words.AsSpan(0, block.Count);
                if (Model.Store.ReadRegisters(block.Table, block.Start, words) != ModbusExceptionCode.None)
                {
                    foreach (var part in _plan.Refused(block))
                    {
                        pending.Enqueue(part);
                    }

                    continue;
                }

                foreach (var point in block.Points)
                {
                    _sample[point.Name] = PointDecoder.Decode(point, words[(point.Address - block.Start)..]);
                }
            }
        }

        var filtered = _filter.Apply(_sample, now);
        if (filtered.Telemetry.Count > 0)
        {
            // Event messages carry the same values as the poll's telemetry (event points always publish on change).
            var readings = new ReplayReading[filtered.Telemetry.Count];
            var i = 0;
            foreach (var (point, value) in filtered.Telemetry)
            {
                readings[i++] = new ReplayReading(point, value, filtered.Labels.GetValueOrDefault(point));
            }

            messages.Add(new SimMessage(now, device, readings));
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

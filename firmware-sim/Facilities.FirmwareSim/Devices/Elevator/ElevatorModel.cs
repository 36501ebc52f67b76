using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.FirmwareSim.Devices.Elevator;

/// <summary>Tunable facts about one elevator.</summary>
public sealed record ElevatorOptions
{
    public int TopFloor { get; init; } = 18;

    public int BottomFloor { get; init; } = -1;

    public double RatedSpeed { get; init; } = 1.75;

    public double FloorHeight { get; init; } = 3.0;

    /// <summary>Calls per hour of simulated time.</summary>
    public double CallsPerHour { get; init; } = 40;

    /// <summary>Counter values at start, as on an elevator that has been in service for years.</summary>
    public uint InitialTrips { get; init; } = 250_000;
}

/// <summary>
/// An elevator controller: the car answers random calls, travels at rated speed, levels, opens and closes its doors;
/// trips, door cycles and running hours count. Faults stop the car, hold the doors, open circuits and set the fault
/// code and history the way a collector reports them.
/// </summary>
public sealed class ElevatorModel : DeviceModel
{
    private static readonly TimeSpan DoorMotion = TimeSpan.FromSeconds(2.5);
    private static readonly TimeSpan DoorDwell = TimeSpan.FromSeconds(5);

    private readonly ElevatorOptions _options;
    private readonly List<(int Code, DateTimeOffset At)> _history = [];
    private readonly Queue<int> _calls = new();
    private double _position;
    private int _direction;
    private int _doorState;
    private TimeSpan _doorTimer;
    private bool _occupied;
    private int _load;
    private uint _trips;
    private uint _doorCycles;
    private double _runningSeconds;
    private int _lastCall;

    public ElevatorModel(DeviceIdentity identity, ElevatorOptions options, DateTimeOffset now)
        : base(identity, ElevatorMap.Map, now)
    {
        _options = options;
        _position = Math.Clamp(0, options.BottomFloor, options.TopFloor);
        _trips = options.InitialTrips;
        _doorCycles = options.InitialTrips + 1_000;
        _runningSeconds = options.InitialTrips * 12.0;
        _lastCall = (int)_position;
        Store.Update(Publish);
    }

    public override IReadOnlyList<FaultInfo> EquipmentFaults => ElevatorFaults.All;

    // The fault history's point names, built once (the model publishes every second).
    private static readonly (string Code, string Time)[] HistoryPoints =
        [.. Enumerable.Range(1, ElevatorMap.HistoryEntries).Select(i => ($"history_{i}_code", $"history_{i}_time"))];

    /// <summary>Faults after which the car will not run until they clear.</summary>
    private bool Halted => ActiveNames.Any(f => f is "trapped-at-floor" or "trapped-between-floors" or "stopped-outside-door-zone"
        or "overtravel-top" or "overtravel-bottom" or "safety-circuit-open" or "door-lock-open" or "door-fails-to-open"
        or "door-fails-to-close" or "floor-position-lost" or "motor-runtime-limiter" or "mains-power-lost" or "unintended-car-movement"
        or "other-fault-preventing-restart" or "out-of-service" or "fire-return" or "earthquake-mode");

    /// <summary>Operating modes in which the car answers no landing calls.</summary>
    private bool CallsBlocked => ActiveNames.Any(f => f is "inspection-mode" or "out-of-service" or "fire-return" or "firefighter-mode" or "earthquake-mode");

    private bool AtFloor => Math.Abs(_position - Math.Round(_position)) < 0.02;

    /// <summary>Registers a car call, as the remote-call register does.</summary>
    public void Call(int floor)
    {
        if (floor >= _options.BottomFloor && floor <= _options.TopFloor)
        {
            _calls.Enqueue(floor);
            _lastCall = floor;
        }
    }

    protected override void OnWrittenByMaster(RegisterTable table, ushort address, int count)
    {
        var callFloor = Map["call_floor"];
        if (table == callFloor.Table && address <= callFloor.Address && callFloor.Address < address + count)
        {
            Call((short)Store.Get(table, callFloor.Address));
        }
    }

    protected override void Step(DateTimeOffset now, TimeSpan elapsed)
    {
        var dt = elapsed.TotalSeconds;
        if (Active("landing-button-stuck") && _calls.Count == 0)
        {
            _calls.Enqueue(_options.BottomFloor);
        }
        else if (!CallsBlocked && Random.NextDouble() < _options.CallsPerHour / 3600 * dt)
        {
            _calls.Enqueue(Random.Next(_options.BottomFloor, _options.TopFloor + 1));
        }

        if (Active("door-open-while-moving"))
        {
            // The car creeps away from the floor with its door open until the fault clears.
            _doorState = 2;
            _direction = _position >= _options.TopFloor ? 2 : 1;
            _position = Math.Clamp(_position + ((_direction == 1 ? 1 : -1) * 0.2 * dt / _options.FloorHeight), _options.BottomFloor, _options.TopFloor);
            _runningSeconds += dt;
            return;
        }

        if (Halted)
        {
            _direction = 0;
            return;
        }

        if (_doorState != 0)
        {
            StepDoors(elapsed);
            return;
        }

        if (_direction == 0 && _calls.Count > 0)
        {
            var target = _calls.Peek();
            if (Math.Abs(target - _position) < 0.02)
            {
                _calls.Dequeue();
                OpenDoors();
                return;
            }

            _direction = target > _position ? 1 : 2;
            _trips++;
            _occupied = Random.NextDouble() < 0.7;
            _load = _occupied ? Random.Next(8, 90) : 0;
        }

        if (_direction != 0)
        {
            Move(dt);
        }
    }

    private void Move(double dt)
    {
        // Without a call (the car crept off its floor while a fault held it) it levels at the nearest floor.
        var target = _calls.Count > 0 ? _calls.Peek() : Math.Round(_position);
        var speed = Active("inspection-mode") ? 0.3 : _options.RatedSpeed;
        var travel = speed * dt / _options.FloorHeight;
        _runningSeconds += dt;
        if (Math.Abs(target - _position) <= travel)
        {
            _position = target;
            _direction = 0;
            if (_calls.Count > 0)
            {
                _calls.Dequeue();
            }

            OpenDoors();
        }
        else
        {
            _position += target > _position ? travel : -travel;
        }
    }

    private void OpenDoors()
    {
        _doorState = 1;
        _doorTimer = TimeSpan.Zero;
        _doorCycles++;
    }

    private void StepDoors(TimeSpan elapsed)
    {
        _doorTimer += elapsed;
        (int Next, TimeSpan After) = _doorState switch
        {
            1 => (2, DoorMotion),
            2 => (3, DoorDwell),
            _ => (0, DoorMotion),
        };
        if (_doorTimer >= After)
        {
            _doorState = Next;
            _doorTimer = TimeSpan.Zero;
            if (Next == 2)
            {
                // Passengers get out at the landing.
                _occupied = false;
                _load = 0;
            }
        }
    }

    protected override void OnFaultChanged(string fault, bool active, DateTimeOffset now)
    {
        if (!active)
        {
            if (fault is "trapped-at-floor" or "trapped-between-floors" or "stopped-outside-door-zone" or "overtravel-top" or "overtravel-bottom" or "floor-position-lost"
                or "unintended-car-movement")
            {
                // The rescue or correction run brings the car back to a floor.
                _position = Math.Clamp(Math.Round(_position), _options.BottomFloor, _options.TopFloor);
                _occupied = false;
                _load = 0;
            }
            else if (fault == "door-fails-to-open" && !Halted)
            {
                // The door operator works again: the doors open and the passenger steps out.
                OpenDoors();
            }

            return;
        }

        var code = ElevatorFaults.Code(fault);
        if (code > 0)
        {
            _history.Insert(0, (code, now));
            if (_history.Count > ElevatorMap.HistoryEntries)
            {
                _history.RemoveAt(_history.Count - 1);
            }
        }

        switch (fault)
        {
            case "trapped-at-floor":
                _position = Math.Round(_position);
                (_doorState, _occupied, _load) = (0, true, 35);
                break;
            case "trapped-between-floors":
                _position = Math.Min(Math.Floor(_position) + 0.5, _options.TopFloor - 0.5);
                (_doorState, _occupied, _load) = (0, true, 35);
                break;
            case "stopped-outside-door-zone":
                _position = Math.Min(Math.Floor(_position) + 0.3, _options.TopFloor - 0.3);
                (_doorState, _occupied, _load) = (0, false, 0);
                break;
            case "overtravel-top":
                _position = _options.TopFloor + 0.15;
                _doorState = 0;
                break;
            case "overtravel-bottom":
                _position = _options.BottomFloor - 0.15;
                _doorState = 0;
                break;
            case "door-fails-to-open":
                _position = Math.Round(_position);
                (_doorState, _occupied) = (0, true);
                break;
            case "door-fails-to-close":
                _position = Math.Round(_position);
                _doorState = 2;
                break;
            case "mains-power-lost" or "earthquake-mode":
                // Emergency rescue (or earthquake) operation levels at the nearest floor and lets passengers out.
                _position = Math.Round(_position);
                (_doorState, _occupied, _load) = (2, false, 0);
                break;
            case "unintended-car-movement":
                // The car crept off the landing with its doors open; the UCM brake held it just outside the door zone.
                _position = Math.Min(Math.Round(_position) + 0.15, _options.TopFloor + 0.15);
                _doorState = 2;
                break;
            case "fire-return":
                // Recall to the main (fire service) floor, doors open, passengers out.
                _position = Math.Clamp(1, _options.BottomFloor, _options.TopFloor);
                (_doorState, _occupied, _load) = (2, false, 0);
                break;
            case "out-of-service":
                _position = Math.Round(_position);
                (_doorState, _occupied, _load) = (0, false, 0);
                break;
        }

        if (Halted)
        {
            _direction = 0;
        }
    }

    protected override void Publish(RegisterStore store)
    {
        var map = Map;
        var moving = _direction != 0;
        var overspeed = Active("overspeed");
        var speed = !moving ? 0 : Active("inspection-mode") ? 0.3 : Active("door-open-while-moving") ? 0.2 : _options.RatedSpeed;
        if (overspeed)
        {
            speed = _options.RatedSpeed * 1.3;
            moving = true;
        }

        var safetyOpen = Active("safety-circuit-open") || Active("overtravel-top") || Active("overtravel-bottom") || overspeed || Active("unintended-car-movement");
        var codes = ActiveNames.Select(ElevatorFaults.Code).Where(c => c > 0).ToList();
        var faultCode = codes.Where(c => c <= ElevatorFaults.LegacyCodes).DefaultIfEmpty(0).Min();
        var serviceMode = Active("mains-power-lost") ? 4 : Active("earthquake-mode") ? 6 : Active("fire-return") ? 2 : Active("firefighter-mode") ? 3
            : Active("out-of-service") ? 5 : Active("inspection-mode") ? 1 : 0;

        map.Write(store, "door_zone", AtFloor && !Active("floor-position-lost") ? 1 : 0);
        map.Write(store, "occupied", _occupied ? 1 : 0);
        map.Write(store, "safety_circuit_closed", safetyOpen ? 0 : 1);
        map.Write(store, "door_lock_closed", Active("door-lock-open") || _doorState != 0 ? 0 : 1);
        map.Write(store, "on_battery", Active("mains-power-lost") ? 1 : 0);
        map.Write(store, "moving", moving ? 1 : 0);
        map.Write(store, "fault_active", codes.Count > 0 ? 1 : 0);
        map.Write(store, "alarm_button", Active("passenger-alarm") ? 1 : 0);
        map.Write(store, "position_valid", Active("floor-position-lost") ? 0 : 1);
        map.Write(store, "service_mode", serviceMode);
        map.Write(store, "floor", Math.Round(_position));
        map.Write(store, "direction", overspeed && _direction == 0 ? 2 : _direction);
        map.Write(store, "door_state", _doorState);
        map.Write(store, "speed", speed);
        map.Write(store, "fault_code", faultCode);
        foreach (var (point, fault) in ElevatorFaults.FaultWord)
        {
            map.Write(store, point, Active(fault) ? 1 : 0);
        }

        map.Write(store, "event_mains_power_lost", Active("mains-power-lost") ? 1 : 0);
        map.Write(store, "event_out_of_service", Active("out-of-service") ? 1 : 0);
        map.Write(store, "event_inspection", Active("inspection-mode") ? 1 : 0);
        map.Write(store, "event_fire_return", Active("fire-return") ? 1 : 0);
        map.Write(store, "event_firefighter", Active("firefighter-mode") ? 1 : 0);
        map.Write(store, "event_emergency_power", serviceMode == 4 ? 1 : 0);
        map.Write(store, "event_earthquake", Active("earthquake-mode") ? 1 : 0);
        map.Write(store, "event_alarm_button", Active("passenger-alarm") ? 1 : 0);
        map.Write(store, "load", _load);
        map.Write(store, "trips", _trips);
        map.Write(store, "door_cycles", _doorCycles);
        map.Write(store, "running_hours", _runningSeconds / 3600);
        map.Write(store, "rated_speed", _options.RatedSpeed);
        map.Write(store, "top_floor", _options.TopFloor);
        map.Write(store, "bottom_floor", _options.BottomFloor);
        map.Write(store, "call_floor", _lastCall);
        for (var i = 0; i < ElevatorMap.HistoryEntries; i++)
        {
            var (code, at) = i < _history.Count ? _history[i] : (0, DateTimeOffset.UnixEpoch);
            map.Write(store, HistoryPoints[i].Code, code);
            map.Write(store, HistoryPoints[i].Time, code == 0 ? 0 : at.ToUnixTimeSeconds());
        }
    }
}

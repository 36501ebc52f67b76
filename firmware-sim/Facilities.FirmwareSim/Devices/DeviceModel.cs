using Facilities.FirmwareSim.Maps;
using Facilities.Modbus.Protocol;
using Facilities.Modbus.Slave;

namespace Facilities.FirmwareSim.Devices;

/// <summary>
/// A simulated controller: its physical state moves on simulated time, its faults change that state the way the
/// real device's would, and every step is published into its Modbus registers through the documented map.
/// Communication faults (silence, slowness, exception answers, corrupted frames) act on the Modbus unit itself.
/// </summary>
public abstract class DeviceModel
{
    /// <summary>Faults every kind supports: they act on the Modbus link, not on the equipment.</summary>
    public static readonly IReadOnlyList<FaultInfo> CommunicationFaults =
    [
        new("comm-offline", "Stops answering Modbus requests (powered off, cable cut)."),
        new("comm-slow", "Answers 2 s late, past most masters' timeouts."),
        new("comm-busy", "Answers every request with exception 6 (server device busy)."),
        new("comm-failure", "Answers every request with exception 4 (server device failure)."),
        new("comm-corrupt", "Answers with a damaged frame (bad CRC on RTU, wrong byte count on TCP)."),
    ];

    private readonly Lock _gate = new();
    private readonly HashSet<string> _faults = new(StringComparer.Ordinal);
    private DateTimeOffset _lastAdvance;

    protected DeviceModel(DeviceIdentity identity, RegisterMap map, DateTimeOffset now)
    {
        Identity = identity;
        Map = map;
        Store = map.CreateStore();
        Unit = new ModbusUnit(identity.UnitId, Store);
        Random = new Random(StableSeed(identity.Id));
        _lastAdvance = now;
        Store.WrittenByMaster += (table, address, count) =>
        {
            lock (_gate)
            {
                OnWrittenByMaster(table, address, count);
                Store.Update(Publish);
            }
        };
    }

    public DeviceIdentity Identity { get; }

    public string Id => Identity.Id;

    public string Kind => Map.Kind;

    public RegisterMap Map { get; }

    public RegisterStore Store { get; }

    public ModbusUnit Unit { get; }

    /// <summary>
    /// The longest step <see cref="Advance"/> takes (one second: doors, cars and ports move within seconds). A run over
    /// weeks of virtual time (the demo's history backfill) may take longer steps at the cost of detail.
    /// </summary>
    public TimeSpan MaxStep { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The simulated time the model has been advanced to.</summary>
    protected DateTimeOffset SimulatedNow => _lastAdvance;

    /// <summary>Per-device random source, seeded from the id so runs repeat.</summary>
    protected Random Random { get; }

    /// <summary>Equipment faults this kind can show.</summary>
    public abstract IReadOnlyList<FaultInfo> EquipmentFaults { get; }

    public IEnumerable<FaultInfo> SupportedFaults => EquipmentFaults.Concat(CommunicationFaults);

    public IReadOnlyCollection<string> ActiveFaults
    {
        get
        {
            lock (_gate)
            {
                return [.. _faults.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>
    /// Starts a fault. <paramref name="fault"/> is a name from <see cref="SupportedFaults"/>; faults that concern one
    /// charger port take it as "name:port". Returns false if the name is unknown.
    /// </summary>
    public bool Inject(string fault, DateTimeOffset now) => Change(fault, now, active: true);

    public bool Clear(string fault, DateTimeOffset now) => Change(fault, now, active: false);

    public bool HasFault(string fault)
    {
        lock (_gate)
        {
            return _faults.Contains(fault);
        }
    }

    /// <summary>Runs the model up to <paramref name="now"/> in steps of at most a second, then publishes its registers.</summary>
    public void Advance(DateTimeOffset now)
    {
        lock (_gate)
        {
            while (_lastAdvance < now)
            {
                var step = now - _lastAdvance < MaxStep ? now - _lastAdvance : MaxStep;
                _lastAdvance += step;
                Step(_lastAdvance, step);
            }

            Store.Update(Publish);
        }
    }

    /// <summary>Every documented point's engineering value, read back from the registers.</summary>
    public IReadOnlyDictionary<string, double> Values()
    {
        var values = new SortedDictionary<string, double>(StringComparer.Ordinal);
        Store.Update(store =>
        {
            foreach (var point in Map.Points)
            {
                values[point.Name] = Map.Read(store, point.Name);
            }
        });
        return values;
    }

    protected abstract void Step(DateTimeOffset now, TimeSpan elapsed);

    /// <summary>Writes the model's state into the registers; runs inside the store's lock.</summary>
    protected abstract void Publish(RegisterStore store);

    /// <summary>Lets a model act on a master's write (a remote call, a port taken out of service).</summary>
    protected virtual void OnWrittenByMaster(RegisterTable table, ushort address, int count)
    {
    }

    /// <summary>Lets a model react when a fault starts or ends (state that persists beyond the fault itself).</summary>
    protected virtual void OnFaultChanged(string fault, bool active, DateTimeOffset now)
    {
    }

    /// <summary>True if <paramref name="fault"/> (with any port suffix) names one of this kind's faults.</summary>
    protected virtual bool IsKnownFault(string fault) => SupportedFaults.Any(f => f.Name == fault);

    protected bool Active(string fault) => _faults.Contains(fault);

    protected IEnumerable<string> ActiveNames => _faults;

    /// <summary>
    /// Changes the model from outside its own steps (a person's action, e.g. plugging in a bike): advances to
    /// <paramref name="now"/>, runs <paramref name="change"/> under the model's lock, then publishes the registers.
    /// </summary>
    protected T Act<T>(DateTimeOffset now, Func<T> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            Advance(now);
            var result = change();
            Store.Update(Publish);
            return result;
        }
    }

    private bool Change(string fault, DateTimeOffset now, bool active)
    {
        if (!IsKnownFault(fault))
        {
            return false;
        }

        lock (_gate)
        {
            Advance(now);
            var changed = active ? _faults.Add(fault) : _faults.Remove(fault);
            if (changed)
            {
                ApplyCommunicationFaults();
                OnFaultChanged(fault, active, now);
                Store.Update(Publish);
            }
        }

        return true;
    }

    private void ApplyCommunicationFaults()
    {
        Unit.ResponseDelay = _faults.Contains("comm-slow") ? TimeSpan.FromSeconds(2) : TimeSpan.Zero;
        Unit.ForcedException = _faults.Contains("comm-busy") ? ModbusExceptionCode.ServerDeviceBusy
            : _faults.Contains("comm-failure") ? ModbusExceptionCode.ServerDeviceFailure
            : ModbusExceptionCode.None;
        Unit.CorruptResponses = _faults.Contains("comm-corrupt");
        Unit.Online = !_faults.Contains("comm-offline");
    }

    private static int StableSeed(string id)
    {
        var hash = 17;
        foreach (var c in id)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }
}

/// <summary>Where a device sits and how it is addressed.</summary>
public sealed record DeviceIdentity(string Id, string Name, string Site, string Building, string Bus, byte UnitId);

/// <summary>A fault a device can be made to show, with what it means.</summary>
public sealed record FaultInfo(string Name, string Description);

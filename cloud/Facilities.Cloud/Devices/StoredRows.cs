using Facilities.Cloud.Domain.Devices;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Devices;

/// <summary>
/// A row of <c>devices</c> as ingestion reads it back: by the device registry for a batch, by the alert engine's sweep
/// for one device (which also joins its gateway's link state).
/// </summary>
internal sealed class DeviceRow
{
    public string Site { get; set; } = "";

    public string Device { get; set; } = "";

    public string Gateway { get; set; } = "";

    public string Kind { get; set; } = "";

    public string Building { get; set; } = "";

    public string State { get; set; } = "";

    public string? StateReason { get; set; }

    public long StateSince { get; set; }

    public long StateTs { get; set; }

    public long LastSeen { get; set; }

    /// <summary>Only when the query joins <c>gateways</c> (as <c>gateway_state</c>).</summary>
    public string? GatewayState { get; set; }

    /// <summary>Only when the query joins <c>gateways</c> (as <c>gateway_last_seen</c>).</summary>
    public long? GatewayLastSeen { get; set; }
}

/// <summary>A row of <c>latest_values</c> with the reading before it, as the rules see it.</summary>
internal sealed class PointRow
{
    public string Device { get; set; } = "";

    public string Point { get; set; } = "";

    public double Value { get; set; }

    public string? Label { get; set; }

    public long Ts { get; set; }

    public double? PrevValue { get; set; }

    public long? PrevTs { get; set; }

    public PointReading Reading => new(Value, Label, UnixTime.FromMs(Ts), PrevValue, UnixTime.FromMs(PrevTs));
}

namespace Facilities.Cloud.Domain.Devices;

/// <summary>
/// The latest stored reading of one point of a device: its value, its label when the device sent one, and its sample
/// time; with the reading before it where the caller knows it (<see cref="Previous"/>, <see cref="PreviousTs"/>: rules
/// on rates of change need them, the read models do not).
/// </summary>
public sealed record PointReading(double Value, string? Label, DateTimeOffset Ts, double? Previous = null, DateTimeOffset? PreviousTs = null);

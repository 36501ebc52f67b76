namespace Facilities.Cloud.Domain.Devices;

/// <summary>The latest stored reading of one point of a device: its value, its label when the device sent one, and its sample time.</summary>
public sealed record PointReading(double Value, string? Label, DateTimeOffset Ts);

using System.Globalization;

namespace Facilities.Cloud.Domain.Devices;

/// <summary>
/// Whether a device's stored readings describe it now: <c>offline</c> when its gateway or the device itself is not
/// online, <c>stale</c> when nothing was heard for longer than the stale limit, <c>online</c> otherwise.
/// <c>Reason</c> says why it is not online, for people.
/// </summary>
public sealed record DeviceLink(string Status, string? Reason)
{
    public const string Online = "online";
    public const string Offline = "offline";
    public const string Stale = "stale";

    /// <summary>
    /// The link of a device (<paramref name="noun"/> names it in the reason, e.g. <c>shed</c>) whose registry state is
    /// <paramref name="deviceState"/>, whose gateway's is <paramref name="gatewayState"/> (null when unknown) and that was
    /// last heard at <paramref name="lastSeen"/>. The gateway is looked at first: a device behind a dead gateway keeps
    /// the state it last had.
    /// </summary>
    public static DeviceLink Of(string noun, string deviceState, string? gatewayState, DateTimeOffset lastSeen, DateTimeOffset now, TimeSpan staleAfter)
    {
        if (gatewayState is { } gateway && gateway != Online)
        {
            return new(Offline, $"gateway {gateway}");
        }

        if (deviceState != Online)
        {
            return new(Offline, $"{noun} {deviceState}");
        }

        var silent = now - lastSeen;
        return silent > staleAfter
            ? new(Stale, string.Create(CultureInfo.InvariantCulture, $"nothing heard for {Math.Floor(silent.TotalMinutes)} min"))
            : new(Online, null);
    }
}

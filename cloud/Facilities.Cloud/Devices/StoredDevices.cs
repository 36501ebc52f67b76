using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace Facilities.Cloud.Devices;

/// <summary>
/// This instance's copy of the devices it has handled, per gateway, tagged with the gateway's stream version
/// (<c>gateway_streams.version</c>). Every ingestion transaction that handles a gateway's device messages holds the
/// gateway's lock (the seen-numbers lock on PostgreSQL, SQLite's single writer) and raises that version once, where it
/// records the gateway's numbers (<see cref="Ingestion.SeenRangeStore.AdvanceAsync"/>), so a copy tagged
/// with the version the database shows now is exactly what is stored: no other instance has handled the gateway since.
/// A batch then reads from the database only the devices this instance has no current copy of. Copies are replaced, never
/// changed, so concurrent readers see either the old or the new set.
/// </summary>
internal sealed class StoredDevices
{
    private sealed record Stream(long Version, FrozenDictionary<string, DeviceRecord> Devices);

    private readonly ConcurrentDictionary<(string Site, string Gateway), Stream> _streams = new();

    /// <summary>A copy of the device as of <paramref name="version"/> of its gateway's stream, or null.</summary>
    public DeviceRecord? Find(string site, string gateway, long version, string device) =>
        _streams.TryGetValue((site, gateway), out var stream) && stream.Version == version && stream.Devices.TryGetValue(device, out var record)
            ? record.Copy()
            : null;

    /// <summary>
    /// After a commit that moved the gateway's stream from <paramref name="readVersion"/> to <paramref name="newVersion"/>:
    /// the devices it handled replace their copies; the gateway's other copies are kept only if they were current at
    /// <paramref name="readVersion"/>. A device also held under another gateway (it moved) is dropped there.
    /// </summary>
    public void Committed(string site, string gateway, long readVersion, long newVersion, IReadOnlyList<DeviceRecord> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var copies = devices.Select(d => d.Copy()).ToList();
        var handled = copies.Select(c => c.Device).ToHashSet(StringComparer.Ordinal);
        _streams.AddOrUpdate((site, gateway),
            _ => new Stream(newVersion, copies.ToFrozenDictionary(d => d.Device, StringComparer.Ordinal)),
            (_, old) => old.Version >= newVersion
                ? old
                : new Stream(newVersion, (old.Version == readVersion ? old.Devices.Where(d => !handled.Contains(d.Key)).Select(d => d.Value) : [])
                    .Concat(copies).ToFrozenDictionary(d => d.Device, StringComparer.Ordinal)));
        foreach (var (key, stream) in _streams)
        {
            if (key.Site == site && key.Gateway != gateway && handled.Any(stream.Devices.ContainsKey))
            {
                _streams.TryRemove(key, out _);
            }
        }
    }
}

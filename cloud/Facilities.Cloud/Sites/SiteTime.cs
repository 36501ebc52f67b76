using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Facilities.Cloud.Sites;

/// <summary>Writes instants as local wall-clock time of the site they happened at.</summary>
public sealed class SiteTime
{
    private readonly TimeZoneInfo _default;
    private readonly Dictionary<string, TimeZoneInfo> _sites;

    public SiteTime(string defaultZone, IReadOnlyDictionary<string, string> siteZones)
    {
        ArgumentNullException.ThrowIfNull(siteZones);
        _default = FindZone(defaultZone);
        _sites = siteZones.ToDictionary(s => s.Key, s => FindZone(s.Value), StringComparer.Ordinal);
    }

    public TimeZoneInfo ZoneOf(string site) => _sites.GetValueOrDefault(site) ?? _default;

    /// <summary><c>2025-03-01 14:05:09 (Asia/Shanghai)</c>.</summary>
    public string Format(string site, DateTimeOffset at)
    {
        var zone = ZoneOf(site);
        var local = TimeZoneInfo.ConvertTime(at, zone);
        return string.Create(CultureInfo.InvariantCulture, $"{local:yyyy-MM-dd HH:mm:ss} ({zone.Id})");
    }

    /// <summary>
    /// Finds an IANA zone. China Standard Time has had no daylight saving since 1991, so <c>Asia/Shanghai</c> works
    /// as a fixed UTC+8 even on a machine without the time-zone database.
    /// </summary>
    public static bool TryFindZone(string? id, [NotNullWhen(true)] out TimeZoneInfo? zone)
    {
        zone = null;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        if (TimeZoneInfo.TryFindSystemTimeZoneById(id, out zone))
        {
            return true;
        }

        if (id == "Asia/Shanghai")
        {
            zone = TimeZoneInfo.CreateCustomTimeZone(id, TimeSpan.FromHours(8), id, "China Standard Time");
            return true;
        }

        return false;
    }

    private static TimeZoneInfo FindZone(string id) =>
        TryFindZone(id, out var zone) ? zone : throw new ArgumentException($"'{id}' is not a known IANA time zone", nameof(id));
}

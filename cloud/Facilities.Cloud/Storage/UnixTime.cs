namespace Facilities.Cloud.Storage;

/// <summary>The schema keeps times as Unix milliseconds (UTC) in BIGINT columns; these turn them back into times.</summary>
internal static class UnixTime
{
    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static DateTimeOffset? FromMs(long? ms) => ms is { } value ? FromMs(value) : null;
}

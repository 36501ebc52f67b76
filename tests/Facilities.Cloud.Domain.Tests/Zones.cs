namespace Facilities.Cloud.Domain.Tests;

/// <summary>Time zones for site-calendar tests, available without the machine's time-zone database.</summary>
internal static class Zones
{
    /// <summary>UTC+8 all year (no daylight saving since 1991), as the cloud's default site zone.</summary>
    public static TimeZoneInfo Shanghai { get; } = TimeZoneInfo.TryFindSystemTimeZoneById("Asia/Shanghai", out var zone)
        ? zone
        : TimeZoneInfo.CreateCustomTimeZone("Asia/Shanghai", TimeSpan.FromHours(8), "Asia/Shanghai", "China Standard Time");

    /// <summary>
    /// A zone at UTC+1 that moves to UTC+2 at 02:00 local on the last Sunday of March and back at 03:00 local on the last
    /// Sunday of October (the European rule), built here so the tests do not depend on the time-zone database.
    /// </summary>
    public static TimeZoneInfo CentralEurope { get; } = TimeZoneInfo.CreateCustomTimeZone(
        "Test/CentralEurope", TimeSpan.FromHours(1), "Test/CentralEurope", "CET", "CEST",
        [
            TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
                DateTime.MinValue.Date, DateTime.MaxValue.Date, TimeSpan.FromHours(1),
                TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 5, DayOfWeek.Sunday),
                TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 3, 0, 0), 10, 5, DayOfWeek.Sunday)),
        ]);
}

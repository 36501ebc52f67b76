namespace Facilities.Cloud.Domain.WorkOrders;

/// <summary>
/// The entrapment rescue steps of a work order, without I/O. An order opened by a rule whose work-order policy says
/// <c>rescue</c> (a passenger trapped in an elevator) records two steps besides its status: the crew <c>arrive</c>s at
/// the elevator and the passenger is <c>release</c>d. TSG T5002 measures the maintainer's response to an entrapment to
/// the arrival on site — 30 minutes in cities, 1 hour elsewhere — so on such an order the response deadline is met by
/// the arrival, never by a "start" click made from the office.
/// </summary>
public static class EntrapmentRescue
{
    public const string Arrive = "arrive";
    public const string Release = "release";

    /// <summary>Timeline entry of an arrival.</summary>
    public const string Arrived = "arrived";

    /// <summary>Timeline entry of a release.</summary>
    public const string PassengerReleased = "passenger-released";

    public static TimeSpan CityArrival { get; } = TimeSpan.FromMinutes(30);

    public static TimeSpan OutsideCityArrival { get; } = TimeSpan.FromHours(1);

    /// <summary>Whether <paramref name="action"/> is one of the rescue steps.</summary>
    public static bool IsStep(string action) => action is Arrive or Release;

    /// <summary>
    /// Why a rescue step may not be recorded on an order (it is no rescue order, or the step is already recorded);
    /// null when it may. The status check is <see cref="WorkOrderLifecycle.Plan"/>'s. The passenger may be released
    /// before the crew arrives (by the fire brigade, say), so the two steps may come in either order.
    /// </summary>
    public static string? Refusal(string action, bool rescue, DateTimeOffset? arrivedAt, DateTimeOffset? releasedAt) => action switch
    {
        _ when !rescue => $"'{action}' is a step of an entrapment rescue; this order is no rescue order",
        Arrive when arrivedAt is { } at => $"the crew's arrival is already recorded ({at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)",
        Release when releasedAt is { } at => $"the passenger's release is already recorded ({at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)",
        _ => null,
    };

    /// <summary>
    /// How long the crew has to arrive at a site: the site's own figure when it sets one, else 1 hour for a site
    /// outside a city, else the rule's <c>respondWithin</c> (30 minutes on the shipped rules), else 30 minutes.
    /// </summary>
    public static TimeSpan ArriveWithin(TimeSpan? site, bool outsideCity, TimeSpan? rule) =>
        site ?? (outsideCity ? OutsideCityArrival : rule ?? CityArrival);

    /// <summary>Whether "start" counts as the response: on a rescue order only the arrival does.</summary>
    public static bool StartResponds(bool rescue) => !rescue;
}

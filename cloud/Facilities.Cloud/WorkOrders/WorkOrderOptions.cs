using Facilities.Cloud.Outbox;

namespace Facilities.Cloud.WorkOrders;

/// <summary>Configuration section <c>WorkOrders</c>.</summary>
public sealed class WorkOrderOptions
{
    /// <summary>How often the SLA monitor looks for passed deadlines.</summary>
    public TimeSpan SlaInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Who a team's orders go to: team → (<c>site/building</c>, <c>site</c> or <c>*</c>) → assignee. The most specific
    /// key wins; no match leaves the order open for a dispatcher to assign (<see cref="WorkOrderRouting"/>).
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> Teams { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Section <c>WorkOrders:Preventive</c>: orders generated on a schedule.</summary>
    public PreventiveOptions Preventive { get; init; } = new();

    /// <summary>Section <c>WorkOrders:Webhook</c>: every change posted to an external maintenance system.</summary>
    public WorkOrderWebhookOptions Webhook { get; init; } = new();

    /// <summary>Section <c>WorkOrders:Rescue</c>: how long an entrapment rescue crew has to arrive, per site.</summary>
    public RescueOptions Rescue { get; init; } = new();

    /// <summary>Start-up check; each problem names its key under <c>WorkOrders</c>.</summary>
    public IReadOnlyList<string> Validate()
    {
        List<string> errors = [];
        if (SlaInterval <= TimeSpan.Zero)
        {
            errors.Add($"'SlaInterval' must be positive; got {SlaInterval}");
        }

        if (Preventive.Interval <= TimeSpan.Zero)
        {
            errors.Add($"'Preventive:Interval' must be positive; got {Preventive.Interval}");
        }

        if (Preventive.AedExpiryDaysAhead is < 0 or > 365)
        {
            errors.Add($"'Preventive:AedExpiryDaysAhead' must be between 0 and 365; got {Preventive.AedExpiryDaysAhead}");
        }

        foreach (var (elevator, interval) in Preventive.OnDemand)
        {
            if (interval <= TimeSpan.Zero || !elevator.Contains('/', StringComparison.Ordinal))
            {
                errors.Add($"'Preventive:OnDemand:{elevator}' must be a positive interval keyed site/device; got {interval}");
            }
        }

        foreach (var (site, rescue) in Rescue.Sites)
        {
            if (rescue.ArriveWithin is { } within && within <= TimeSpan.Zero)
            {
                errors.Add($"'Rescue:Sites:{site}:ArriveWithin' must be positive; got {within}");
            }
        }

        if (Webhook.Enabled)
        {
            if (!Uri.TryCreate(Webhook.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                errors.Add($"'Webhook:Url' must be an absolute http or https URL; got '{Webhook.Url}'");
            }

            if (string.IsNullOrEmpty(Webhook.Secret) || Webhook.Secret.Length < 16)
            {
                errors.Add("'Webhook:Secret' is required with 'Webhook:Url' and must be at least 16 characters (it signs every delivery)");
            }

            if (Webhook.MaxAttempts < 1)
            {
                errors.Add($"'Webhook:MaxAttempts' must be at least 1; got {Webhook.MaxAttempts}");
            }

            foreach (var (name, value) in new[] { ("RetryBaseDelay", Webhook.RetryBaseDelay), ("RetryMaxDelay", Webhook.RetryMaxDelay), ("Timeout", Webhook.Timeout), ("PollInterval", Webhook.PollInterval), ("LeaseTime", Webhook.LeaseTime) })
            {
                if (value <= TimeSpan.Zero)
                {
                    errors.Add($"'Webhook:{name}' must be positive; got {value}");
                }
            }
        }

        return errors;
    }
}

/// <summary>Section <c>WorkOrders:Preventive</c>.</summary>
public sealed class PreventiveOptions
{
    /// <summary>Generate preventive orders at all (on every instance; the database keeps them unique).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How often the schedule is looked at; an order appears at most this long after its period starts.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Routine maintenance per elevator after TSG T5002: the next half-monthly visit 15 days after the last one done,
    /// plus quarterly, half-yearly and annual visits.
    /// </summary>
    public bool ElevatorMaintenance { get; init; } = true;

    /// <summary>
    /// On-demand maintenance (按需维保): <c>site/device</c> → a longer half-monthly interval for an IoT-monitored elevator
    /// of a qualified maintainer. A critical fault after the last visit puts the elevator back on 15 days.
    /// </summary>
    public Dictionary<string, TimeSpan> OnDemand { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The on-demand interval of one elevator; null when it keeps the 15-day rhythm.</summary>
    public TimeSpan? OnDemandInterval(string site, string device) => OnDemand.TryGetValue($"{site}/{device}", out var interval) ? interval : null;

    public string ElevatorTeam { get; init; } = "elevator";

    /// <summary>An AED's pads or battery get a replacement order this many days before their expiry date.</summary>
    public int AedExpiryDaysAhead { get; init; } = 42;

    public string AedTeam { get; init; } = "safety";
}

/// <summary>Section <c>WorkOrders:Rescue</c>.</summary>
public sealed class RescueOptions
{
    /// <summary>Per site: whether it lies outside a city, or its own arrival time (TSG T5002: 30 min in cities, 1 h elsewhere; some cities are stricter).</summary>
    public Dictionary<string, RescueSiteOptions> Sites { get; init; } = new(StringComparer.Ordinal);

    /// <summary>How long a rescue crew has to arrive at <paramref name="site"/>; <paramref name="rule"/> is the rule's <c>respondWithin</c>.</summary>
    public TimeSpan ArriveWithin(string site, TimeSpan? rule)
    {
        var options = Sites.GetValueOrDefault(site);
        return EntrapmentRescue.ArriveWithin(options?.ArriveWithin, options?.OutsideCity ?? false, rule);
    }
}

/// <summary>Section <c>WorkOrders:Rescue:Sites:{site}</c>.</summary>
public sealed class RescueSiteOptions
{
    /// <summary>The site lies outside a city: 1 hour to arrive instead of 30 minutes.</summary>
    public bool OutsideCity { get; init; }

    /// <summary>The site's own arrival time (a city with a 15-minute target); wins over <see cref="OutsideCity"/>.</summary>
    public TimeSpan? ArriveWithin { get; init; }
}

/// <summary>
/// Section <c>WorkOrders:Webhook</c>. Off while <see cref="Url"/> is empty. Its retries are <see cref="OutboxRetryOptions"/>:
/// 12 attempts, 5 s doubling up to 15 min, a 1 min lease, polled every second.
/// </summary>
public sealed record WorkOrderWebhookOptions : OutboxRetryOptions
{
    public WorkOrderWebhookOptions()
        : base(maxAttempts: 12, retryBaseDelay: TimeSpan.FromSeconds(5), retryMaxDelay: TimeSpan.FromMinutes(15), leaseTime: TimeSpan.FromMinutes(1), pollInterval: TimeSpan.FromSeconds(1))
    {
    }

    public string? Url { get; init; }

    /// <summary>Signs every delivery (HMAC-SHA256, header <c>X-Facilities-Signature</c>); keep it out of source control.</summary>
    public string Secret { get; init; } = "";

    /// <summary>Time allowed for one delivery.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool Enabled => !string.IsNullOrWhiteSpace(Url);

    /// <summary>Never the secret: a record would print every property.</summary>
    public override string ToString() => nameof(WorkOrderWebhookOptions);
}

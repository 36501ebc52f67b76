using Facilities.Cloud.Outbox;

namespace Facilities.Cloud.Notifications;

/// <summary>
/// Configuration section <c>Notifications</c>: channels, on-call contacts, routes, retries (<see cref="OutboxRetryOptions"/>:
/// 8 attempts, 30 s doubling up to 30 min, a 2 min lease, polled every 2 s) and escalation timing.
/// </summary>
internal sealed record NotificationOptions : OutboxRetryOptions
{
    public NotificationOptions()
        : base(maxAttempts: 8, retryBaseDelay: TimeSpan.FromSeconds(30), retryMaxDelay: TimeSpan.FromMinutes(30), leaseTime: TimeSpan.FromMinutes(2), pollInterval: TimeSpan.FromSeconds(2))
    {
    }

    /// <summary>Never the channels' secrets: a record would print every property.</summary>
    public override string ToString() => nameof(NotificationOptions);

    /// <summary>Where messages can go, by name (<c>webhook</c>, <c>wecom</c>, <c>dingtalk</c>, <c>email</c>).</summary>
    public Dictionary<string, NotificationChannelOptions> Channels { get; init; } = [];

    /// <summary>People or teams on call, by name; each is reached on one or more channels.</summary>
    public Dictionary<string, NotificationContactOptions> Contacts { get; init; } = [];

    /// <summary>Which alerts go to whom, in order: the first route that matches applies, then the next only if it says <c>Continue</c>.</summary>
    public List<NotificationRouteOptions> Routes { get; init; } = [];

    /// <summary>IANA time zone in which times are written in messages.</summary>
    public string TimeZone { get; init; } = "Asia/Shanghai";

    /// <summary>Per-site time zones that override <see cref="TimeZone"/>.</summary>
    public Dictionary<string, string> SiteTimeZones { get; init; } = [];

    /// <summary>Sends in flight at once per instance.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Time allowed for one HTTP request or SMTP conversation; <see cref="OutboxRetryOptions.LeaseTime"/> must exceed it.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often unacknowledged alerts are checked for escalation.</summary>
    public TimeSpan EscalationCheckInterval { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>One channel; which fields apply depends on <see cref="Type"/>.</summary>
internal sealed class NotificationChannelOptions
{
    public const string Webhook = "webhook";
    public const string WeCom = "wecom";
    public const string DingTalk = "dingtalk";
    public const string Email = "email";

    /// <summary><c>webhook</c>, <c>wecom</c>, <c>dingtalk</c> or <c>email</c>.</summary>
    public string Type { get; init; } = string.Empty;

    /// <summary>HTTP channels: the URL to POST to (for the robots, the webhook address with its key or access token).</summary>
    public Uri? Url { get; init; }

    /// <summary>Webhook: extra request headers (an Authorization header, for instance).</summary>
    public Dictionary<string, string> Headers { get; init; } = [];

    /// <summary>DingTalk: the robot's signing secret (<c>SEC…</c>); when set, every request is signed.</summary>
    public string? Secret { get; init; }

    /// <summary>Email: SMTP server.</summary>
    public string? Host { get; init; }

    public int Port { get; init; } = 25;

    /// <summary>Email: upgrade the connection with STARTTLS.</summary>
    public bool EnableSsl { get; init; }

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>Email: the sender address.</summary>
    public string? From { get; init; }

    /// <summary>Email: fixed recipients; when empty, the contact's <see cref="NotificationContactOptions.Email"/> is used.</summary>
    public List<string> To { get; init; } = [];
}

internal sealed class NotificationContactOptions
{
    /// <summary>Name shown in messages; the contact's key when empty.</summary>
    public string? Name { get; init; }

    /// <summary>Channel names this contact is reached on.</summary>
    public List<string> Channels { get; init; } = [];

    /// <summary>Addresses for email channels that have no fixed recipients.</summary>
    public List<string> Email { get; init; } = [];
}

internal sealed class NotificationRouteOptions
{
    /// <summary>Recorded with every notification and escalation; keep it stable. Default <c>route-N</c> (1-based position).</summary>
    public string? Name { get; init; }

    /// <summary>Sites this route covers; empty or <c>*</c> means all.</summary>
    public List<string> Sites { get; init; } = [];

    /// <summary>
    /// Rules this route covers, by id; <c>*</c> matches any run of characters (<c>elevator.trapped-*</c>). Empty means
    /// every rule. Put a narrow route (entrapments, escalating after 5 minutes) before the general one.
    /// </summary>
    public List<string> Rules { get; init; } = [];

    /// <summary>Lowest severity routed: <c>info</c>, <c>warning</c> or <c>critical</c>.</summary>
    public string MinSeverity { get; init; } = "info";

    /// <summary>Contacts in escalation order: the first is notified at once, the next when nobody acknowledged in time.</summary>
    public List<string> Escalation { get; init; } = [];

    /// <summary>Lowest severity that escalates and repeats.</summary>
    public string EscalateMinSeverity { get; init; } = "critical";

    /// <summary>Time an alert may stay unacknowledged before the next contact is notified.</summary>
    public TimeSpan EscalateAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Once the last contact was notified, remind it this often until acknowledged; zero: no reminders.</summary>
    public TimeSpan RepeatEvery { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Let later routes match too.</summary>
    public bool Continue { get; init; }
}

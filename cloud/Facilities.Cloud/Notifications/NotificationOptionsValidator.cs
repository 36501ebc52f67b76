using System.Net.Mail;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.Notifications;

/// <summary>Checks the <c>Notifications</c> section at start-up; every error names its configuration path.</summary>
internal static class NotificationOptionsValidator
{
    private const string Section = "Notifications";

    public static IReadOnlyList<string> Validate(NotificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        foreach (var (name, channel) in options.Channels)
        {
            ValidateChannel($"{Section}:Channels:{name}", channel, errors);
        }

        foreach (var (name, contact) in options.Contacts)
        {
            var path = $"{Section}:Contacts:{name}";
            if (contact.Channels.Count == 0)
            {
                errors.Add($"{path}:Channels: a contact needs at least one channel");
            }

            foreach (var channelName in contact.Channels)
            {
                if (!options.Channels.TryGetValue(channelName, out var channel))
                {
                    errors.Add($"{path}:Channels: '{channelName}' is not defined under {Section}:Channels");
                }
                else if (channel.Type == NotificationChannelOptions.Email && channel.To.Count == 0 && contact.Email.Count == 0)
                {
                    errors.Add($"{path}:Email: channel '{channelName}' has no fixed recipients (To), so the contact needs an address");
                }
            }

            for (var i = 0; i < contact.Email.Count; i++)
            {
                CheckAddress($"{path}:Email:{i}", contact.Email[i], errors);
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var route = options.Routes[i];
            var path = $"{Section}:Routes:{i}";
            if (!names.Add(NotificationRouter.RouteName(route, i)))
            {
                errors.Add($"{path}:Name: '{NotificationRouter.RouteName(route, i)}' is used by another route (escalations are recorded by route name)");
            }

            CheckSeverity($"{path}:MinSeverity", route.MinSeverity, errors);
            CheckSeverity($"{path}:EscalateMinSeverity", route.EscalateMinSeverity, errors);
            if (route.Rules.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{path}:Rules: a rule id or pattern must not be empty");
            }

            if (route.Escalation.Count == 0)
            {
                errors.Add($"{path}:Escalation: list at least one contact");
            }

            foreach (var contact in route.Escalation.Where(c => !options.Contacts.ContainsKey(c)))
            {
                errors.Add($"{path}:Escalation: contact '{contact}' is not defined under {Section}:Contacts");
            }

            if (route.Escalation.Count > 1 && route.EscalateAfter <= TimeSpan.Zero)
            {
                errors.Add($"{path}:EscalateAfter: must be positive when the route has more than one contact");
            }

            if (route.RepeatEvery < TimeSpan.Zero)
            {
                errors.Add($"{path}:RepeatEvery: must be zero (no reminders) or positive");
            }
        }

        CheckTimeZone($"{Section}:TimeZone", options.TimeZone, errors);
        foreach (var (site, zone) in options.SiteTimeZones)
        {
            CheckTimeZone($"{Section}:SiteTimeZones:{site}", zone, errors);
        }

        CheckPositive("PollInterval", options.PollInterval, errors);
        CheckPositive("RetryBaseDelay", options.RetryBaseDelay, errors);
        CheckPositive("SendTimeout", options.SendTimeout, errors);
        CheckPositive("EscalationCheckInterval", options.EscalationCheckInterval, errors);
        if (options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add($"{Section}:RetryMaxDelay: must be at least RetryBaseDelay ({options.RetryBaseDelay})");
        }

        if (options.LeaseTime <= options.SendTimeout)
        {
            errors.Add($"{Section}:LeaseTime: must exceed SendTimeout ({options.SendTimeout}), or a slow send would be taken over and sent twice");
        }

        if (options.MaxAttempts < 1)
        {
            errors.Add($"{Section}:MaxAttempts: must be at least 1");
        }

        if (options.Concurrency < 1)
        {
            errors.Add($"{Section}:Concurrency: must be at least 1");
        }

        return errors;
    }

    private static void ValidateChannel(string path, NotificationChannelOptions channel, List<string> errors)
    {
        switch (channel.Type)
        {
            case NotificationChannelOptions.Webhook or NotificationChannelOptions.WeCom or NotificationChannelOptions.DingTalk:
                if (channel.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                {
                    errors.Add($"{path}:Url: an absolute http(s) URL is required for type '{channel.Type}'");
                }

                break;
            case NotificationChannelOptions.Email:
                if (string.IsNullOrWhiteSpace(channel.Host))
                {
                    errors.Add($"{path}:Host: the SMTP server is required for type 'email'");
                }

                if (channel.Port is < 1 or > 65535)
                {
                    errors.Add($"{path}:Port: {channel.Port} is not a TCP port");
                }

                CheckAddress($"{path}:From", channel.From, errors);
                for (var i = 0; i < channel.To.Count; i++)
                {
                    CheckAddress($"{path}:To:{i}", channel.To[i], errors);
                }

                break;
            default:
                errors.Add($"{path}:Type: '{channel.Type}' is not a channel type (use webhook, wecom, dingtalk or email)");
                break;
        }
    }

    private static void CheckAddress(string path, string? address, List<string> errors)
    {
        if (!MailAddress.TryCreate(address, out _))
        {
            errors.Add($"{path}: '{address}' is not an email address");
        }
    }

    private static void CheckSeverity(string path, string value, List<string> errors)
    {
        if (!AlertSeverities.TryParse(value, out _))
        {
            errors.Add($"{path}: '{value}' is not a severity (use info, warning or critical)");
        }
    }

    private static void CheckTimeZone(string path, string zone, List<string> errors)
    {
        if (!SiteTime.TryFindZone(zone, out _))
        {
            errors.Add($"{path}: '{zone}' is not a known IANA time zone");
        }
    }

    private static void CheckPositive(string name, TimeSpan value, List<string> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:{name}: must be positive");
        }
    }
}

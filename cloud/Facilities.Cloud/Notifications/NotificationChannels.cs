namespace Facilities.Cloud.Notifications;

/// <summary>The configured channels by name, sharing one HTTP client (pooled connections, renewed for DNS changes).</summary>
internal sealed class NotificationChannels : IDisposable
{
    private readonly HttpClient? _http;
    private readonly Dictionary<string, INotificationChannel> _channels;

    public NotificationChannels(NotificationOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = options.SendTimeout };
        _channels = options.Channels.ToDictionary(c => c.Key, c => Create(c.Value, options.SendTimeout, _http, time), StringComparer.Ordinal);
    }

    /// <summary>Channels made elsewhere (tests).</summary>
    public NotificationChannels(IReadOnlyDictionary<string, INotificationChannel> channels) =>
        _channels = new Dictionary<string, INotificationChannel>(channels, StringComparer.Ordinal);

    public INotificationChannel? Find(string name) => _channels.GetValueOrDefault(name);

    public void Dispose() => _http?.Dispose();

    private static INotificationChannel Create(NotificationChannelOptions options, TimeSpan timeout, HttpClient http, TimeProvider time) => options.Type switch
    {
        NotificationChannelOptions.Webhook => new WebhookChannel(options.Url!, options.Headers, http),
        NotificationChannelOptions.WeCom => new WeComRobotChannel(options.Url!, http),
        NotificationChannelOptions.DingTalk => new DingTalkRobotChannel(options.Url!, options.Secret, http, time),
        NotificationChannelOptions.Email => new EmailChannel(options, timeout),
        _ => throw new ArgumentException($"channel type '{options.Type}' is not supported", nameof(options)),
    };
}

using System.Net;
using Facilities.Telemetry;
using Facilities.Cloud.Configuration;

namespace Facilities.Cloud.Broker;

/// <summary>What a broker credential may do (docs/cloud-broker.md).</summary>
internal enum BrokerRole
{
    /// <summary>Publishes below its own <c>facilities/v1/{site}/{gateway}/</c> and reads its own commands.</summary>
    Gateway,

    /// <summary>Reads everything below <c>facilities/v1/</c> and publishes commands.</summary>
    Cloud,
}

/// <summary>One credential of the embedded broker (configuration <c>Broker:Users:{n}</c>).</summary>
internal sealed record BrokerUser
{
    public string Username { get; init; } = string.Empty;

    /// <summary>Plain password; prefer <see cref="PasswordHash"/> outside development.</summary>
    public string? Password { get; init; }

    /// <summary>Mosquitto's PBKDF2 hash (<c>$7$…</c>, as <c>mosquitto_passwd</c> writes it), see <see cref="Access.PasswordHash"/>.</summary>
    public string? PasswordHash { get; init; }

    public BrokerRole Role { get; init; }

    /// <summary>Gateway role: the site and gateway whose topics this credential owns.</summary>
    public string? Site { get; init; }

    public string? Gateway { get; init; }
}

/// <summary>The broker's TLS listener (configuration <c>Broker:Tls</c>); off while <see cref="Port"/> is unset.</summary>
internal sealed record BrokerTlsOptions
{
    public int? Port { get; init; }

    /// <summary>PEM file of the broker's certificate (its chain may follow it in the file).</summary>
    public string? Certificate { get; init; }

    /// <summary>PEM file of the certificate's private key.</summary>
    public string? Key { get; init; }
}

/// <summary>
/// What one connection and one credential may cost the embedded broker (configuration <c>Broker:Limits</c>): every
/// bound holds before the broker spends memory on it, so an unauthenticated socket or a misbehaving gateway cannot
/// grow the cloud process (docs/cloud-broker.md, *Limits*).
/// </summary>
internal sealed record BrokerLimits
{
    /// <summary>Largest MQTT packet accepted, header included; a bigger one closes the connection before its body is read.</summary>
    public int MaxPacketSize { get; init; } = 64 * 1024;

    /// <summary>From accepting a socket until its CONNECT packet is complete (a TLS handshake included).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>From accepting a socket until the broker has answered its CONNECT: a login that takes longer is dropped.</summary>
    public TimeSpan AuthenticationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Retained messages one client id may hold (a gateway: its status and one state per device).</summary>
    public int RetainedMessagesPerClient { get; init; } = 1000;

    /// <summary>Bytes of retained payload one client id may hold.</summary>
    public long RetainedBytesPerClient { get; init; } = 1024 * 1024;

    /// <summary>Retained messages one user may hold over all its client ids (clients without a user name count as one user).</summary>
    public int RetainedMessagesPerUser { get; init; } = 1000;

    /// <summary>Bytes of retained payload one user may hold over all its client ids.</summary>
    public long RetainedBytesPerUser { get; init; } = 1024 * 1024;

    /// <summary>
    /// Publishes (QoS 1 and 2) one connection may have unacknowledged while the broker holds acknowledgements until the
    /// cloud stored them (MQTT 5 receive maximum, announced in CONNACK); one more closes the connection.
    /// </summary>
    public int ReceiveMaximum { get; init; } = 256;

    /// <summary>
    /// How long a held acknowledgement may wait for the cloud to store its message (the database is away, or a copy
    /// went missing). Past it the connection is closed instead of acknowledged: the sender publishes the message again
    /// from its outbox after reconnecting, so a hold can delay a gateway but never strand it.
    /// </summary>
    public TimeSpan AcknowledgementTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Below this a CONNECT with a user name, password and last will does not fit.</summary>
    internal const int SmallestPacketSize = 1024;

    /// <summary>MQTT's own ceiling: a remaining length of 268,435,455 plus a 5-byte fixed header.</summary>
    internal const int LargestPacketSize = 268_435_460;

    internal void Validate(List<string> problems)
    {
        if (MaxPacketSize is < SmallestPacketSize or > LargestPacketSize)
        {
            problems.Add($"Broker:Limits:MaxPacketSize: {MaxPacketSize} is outside {SmallestPacketSize}..{LargestPacketSize} bytes");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            problems.Add($"Broker:Limits:ConnectTimeout: {ConnectTimeout} must be positive");
        }

        if (AuthenticationTimeout < ConnectTimeout)
        {
            problems.Add($"Broker:Limits:AuthenticationTimeout: {AuthenticationTimeout} is shorter than ConnectTimeout ({ConnectTimeout}); it counts from the same moment");
        }

        if (AcknowledgementTimeout <= TimeSpan.Zero)
        {
            problems.Add($"Broker:Limits:AcknowledgementTimeout: {AcknowledgementTimeout} must be positive");
        }

        if (ReceiveMaximum is < 1 or > ushort.MaxValue)
        {
            problems.Add($"Broker:Limits:ReceiveMaximum: {ReceiveMaximum} is outside 1..{ushort.MaxValue}");
        }

        foreach (var (name, value) in new[]
                 {
                     ("RetainedMessagesPerClient", (long)RetainedMessagesPerClient), ("RetainedBytesPerClient", RetainedBytesPerClient),
                     ("RetainedMessagesPerUser", RetainedMessagesPerUser), ("RetainedBytesPerUser", RetainedBytesPerUser),
                 })
        {
            if (value < 0)
            {
                problems.Add($"Broker:Limits:{name}: {value} is negative (0 refuses every retained message)");
            }
        }
    }
}

/// <summary>
/// Configuration section <c>Broker</c>: the MQTT broker the cloud can host itself for single-box installs, with the
/// same credentials and topic permissions an external Mosquitto would enforce (docs/cloud-broker.md).
/// </summary>
internal sealed record BrokerOptions
{
    public const string Section = "Broker";

    /// <summary>Run the embedded broker; unset means "when <c>Mqtt:Host</c> is empty".</summary>
    public bool? Enabled { get; init; }

    /// <summary>Plain MQTT port; 0 turns the plain listener off (TLS only).</summary>
    public int Port { get; init; } = 1883;

    /// <summary>Address the listeners bind: loopback by default; <c>0.0.0.0</c> (or one interface's address) exposes the broker.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    public BrokerTlsOptions Tls { get; init; } = new();

    /// <summary>Where retained messages are kept across restarts; empty keeps nothing.</summary>
    public string? PersistenceDirectory { get; init; } = "data/broker";

    /// <summary>Development only: clients without credentials are let in, with no topic restrictions.</summary>
    public bool AllowAnonymous { get; init; }

    public IReadOnlyList<BrokerUser> Users { get; init; } = [];

    /// <summary>At shutdown, how long to wait for the cloud to take the messages still queued for it.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Messages refused by the ACL waiting to be written to <c>dead_letters</c>; more are counted and dropped.</summary>
    public int DeadLetterQueueLength { get; init; } = 1000;

    /// <summary>Packet size, login time and retained-message bounds.</summary>
    public BrokerLimits Limits { get; init; } = new();

    /// <summary>
    /// The user of the cloud's consumer in this process, when it consumes from this broker (not configuration: set by
    /// <see cref="BrokerServiceCollectionExtensions.AddEmbeddedBroker"/>). Then a publish is acknowledged only once that
    /// consumer has stored it, and publishes wait until it has subscribed.
    /// </summary>
    internal string? StoringConsumer { get; init; }

    /// <summary>The section's options when the embedded broker is to run, otherwise null.</summary>
    public static BrokerOptions? WhenEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = Settings.Bind<BrokerOptions>(configuration, Section);
        return options.Enabled ?? string.IsNullOrEmpty(configuration["Mqtt:Host"]) ? options : null;
    }

    /// <summary>Every problem, each naming its configuration path; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Port is < 0 or > 65535)
        {
            problems.Add($"Broker:Port: {Port} is not a port (0 turns the plain listener off)");
        }

        if (!IPAddress.TryParse(BindAddress, out _))
        {
            problems.Add($"Broker:BindAddress: '{BindAddress}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0)");
        }

        ValidateTls(problems);
        if (Port == 0 && Tls.Port is null)
        {
            problems.Add("Broker: no listener (Port is 0 and Tls:Port is not set)");
        }

        if (DrainTimeout < TimeSpan.Zero)
        {
            problems.Add($"Broker:DrainTimeout: {DrainTimeout} is negative");
        }

        if (DeadLetterQueueLength < 1)
        {
            problems.Add($"Broker:DeadLetterQueueLength: {DeadLetterQueueLength} must be at least 1");
        }

        Limits.Validate(problems);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Users.Count; i++)
        {
            ValidateUser($"Broker:Users:{i}", Users[i], seen, problems);
        }

        return problems;
    }

    private void ValidateTls(List<string> problems)
    {
        if (Tls.Port is not { } port)
        {
            return;
        }

        if (port is < 1 or > 65535 || port == Port)
        {
            problems.Add($"Broker:Tls:Port: {port} is not a port of its own");
        }

        foreach (var (name, file) in new[] { ("Certificate", Tls.Certificate), ("Key", Tls.Key) })
        {
            if (string.IsNullOrEmpty(file))
            {
                problems.Add($"Broker:Tls:{name}: required with Tls:Port (a PEM file)");
            }
            else if (!File.Exists(file))
            {
                problems.Add($"Broker:Tls:{name}: file '{Path.GetFullPath(file)}' does not exist");
            }
        }
    }

    private static void ValidateUser(string path, BrokerUser user, HashSet<string> seen, List<string> problems)
    {
        if (string.IsNullOrEmpty(user.Username))
        {
            problems.Add($"{path}:Username: required");
        }
        else if (user.Username == EmbeddedBroker.LocalUsername)
        {
            problems.Add($"{path}:Username: '{user.Username}' is reserved for the cloud's own consumer");
        }
        else if (!seen.Add(user.Username))
        {
            problems.Add($"{path}:Username: '{user.Username}' is listed twice");
        }

        if (string.IsNullOrEmpty(user.Password) == string.IsNullOrEmpty(user.PasswordHash))
        {
            problems.Add($"{path}: give exactly one of Password and PasswordHash");
        }
        else if (user.PasswordHash is { Length: > 0 } hash && Access.PasswordHash.Problem(hash) is { } problem)
        {
            problems.Add($"{path}:PasswordHash: {problem}");
        }

        if (user.Role == BrokerRole.Gateway)
        {
            foreach (var (name, id) in new[] { ("Site", user.Site), ("Gateway", user.Gateway) })
            {
                if (!Topics.IsValidId(id))
                {
                    problems.Add($"{path}:{name}: '{id}' is not an identifier (1-64 of a-z 0-9 - _), required for role gateway");
                }
            }
        }
        else if (user.Site is not null || user.Gateway is not null)
        {
            problems.Add($"{path}: Site and Gateway belong to role gateway only");
        }
    }
}

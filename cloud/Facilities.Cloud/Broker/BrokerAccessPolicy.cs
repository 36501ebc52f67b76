using System.Security.Cryptography;
using System.Text;
using Facilities.Telemetry;

namespace Facilities.Cloud.Broker;

/// <summary>
/// Who may connect, publish and subscribe: the rules docs/cloud-broker.md also gives Mosquitto as a password file and
/// ACL. A gateway publishes only its own topics (never commands) and reads only its own commands; the cloud reads
/// everything below <c>facilities/v1/</c> (shared or not) and publishes commands. Each check returns null when allowed,
/// otherwise the reason, worded for logs and the dead-letter table. Pure: no I/O.
/// </summary>
public sealed class BrokerAccessPolicy
{
    private readonly Dictionary<string, BrokerUser> _users;
    private readonly bool _allowAnonymous;

    public BrokerAccessPolicy(IEnumerable<BrokerUser> users, bool allowAnonymous)
    {
        _users = users.ToDictionary(u => u.Username, StringComparer.Ordinal);
        _allowAnonymous = allowAnonymous;
    }

    public string? CheckConnect(string? username, string? password)
    {
        if (string.IsNullOrEmpty(username))
        {
            return _allowAnonymous ? null : "no username (anonymous clients are not allowed)";
        }

        if (!_users.TryGetValue(username, out var user))
        {
            return $"unknown user '{username}'";
        }

        return PasswordMatches(user, password ?? string.Empty) ? null : $"wrong password for user '{username}'";
    }

    /// <summary>The role of a known user; null for anonymous and unknown ones.</summary>
    public BrokerRole? RoleOf(string? username) =>
        username is not null && _users.TryGetValue(username, out var user) ? user.Role : null;

    public string? CheckPublish(string? username, string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (!TryIdentify(username, "publish to", topic, out var user, out var refusal))
        {
            return refusal;
        }

        if (user is null)
        {
            return null;
        }

        var address = Topics.Parse(topic);
        if (user.Role == BrokerRole.Gateway)
        {
            return address is { Kind: not TopicKind.Command } && address.Site == user.Site && address.Gateway == user.Gateway
                ? null
                : $"unauthorised: user '{username}' may not publish to {topic} (gateway {user.Site}/{user.Gateway} publishes only " +
                  $"its status, devices/+/telemetry|events|state and command-results below {Topics.Root}/{user.Site}/{user.Gateway}/)";
        }

        return address is { Kind: TopicKind.Command }
            ? null
            : $"unauthorised: user '{username}' may not publish to {topic} (the cloud publishes only {Topics.Root}/+/+/commands)";
    }

    public string? CheckSubscribe(string? username, string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (!TryIdentify(username, "subscribe to", filter, out var user, out var refusal))
        {
            return refusal;
        }

        if (user is null)
        {
            return null;
        }

        if (user.Role == BrokerRole.Gateway)
        {
            var commands = Topics.Commands(user.Site!, user.Gateway!);
            return filter == commands ? null : $"unauthorised: user '{username}' may not subscribe to {filter} (gateway {user.Site}/{user.Gateway} reads only {commands})";
        }

        return IsBelowRoot(WithoutShare(filter)) ? null : $"unauthorised: user '{username}' may not subscribe to {filter} (the cloud reads only below {Topics.Root}/)";
    }

    /// <summary>The configured user behind a name; true with a null user for an allowed anonymous client.</summary>
    private bool TryIdentify(string? username, string action, string topic, out BrokerUser? user, out string? refusal)
    {
        (user, refusal) = (null, null);
        if (string.IsNullOrEmpty(username))
        {
            refusal = _allowAnonymous ? null : $"unauthorised: anonymous clients may not {action} {topic}";
            return _allowAnonymous;
        }

        if (!_users.TryGetValue(username, out user))
        {
            refusal = $"unauthorised: unknown user '{username}' may not {action} {topic}";
            return false;
        }

        return true;
    }

    private static bool PasswordMatches(BrokerUser user, string password)
    {
        if (user.PasswordHash is { Length: > 0 } hash)
        {
            return PasswordHash.Verify(password, hash);
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(user.Password ?? string.Empty));
    }

    /// <summary><c>$share/{group}/{filter}</c> → <c>{filter}</c>; a malformed share prefix stays and is refused below.</summary>
    private static string WithoutShare(string filter)
    {
        const string Share = "$share/";
        if (!filter.StartsWith(Share, StringComparison.Ordinal))
        {
            return filter;
        }

        var slash = filter.IndexOf('/', Share.Length);
        var group = slash < 0 ? string.Empty : filter[Share.Length..slash];
        return group.Length == 0 || group.AsSpan().ContainsAny('+', '#') ? filter : filter[(slash + 1)..];
    }

    private static bool IsBelowRoot(string filter) =>
        filter.StartsWith(Topics.Root + "/", StringComparison.Ordinal) && filter.Length > Topics.Root.Length + 1;
}

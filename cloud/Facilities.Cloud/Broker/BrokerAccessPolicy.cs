using System.Security.Cryptography;
using System.Text;
using Facilities.Telemetry;
using Facilities.Cloud.Access;

namespace Facilities.Cloud.Broker;

/// <summary>
/// Who may connect, publish and subscribe: the rules docs/cloud-broker.md also gives Mosquitto as a password file and
/// ACL. A gateway publishes only its own topics (never commands) and reads only its own commands; the cloud reads
/// everything below <c>facilities/v1/</c> (shared or not) and publishes commands. A gateway connects with its own client
/// id only (<see cref="ClientIds.Gateway"/>: its user name), and nobody else may use it. Each check returns null when allowed,
/// otherwise the reason, worded for logs and the dead-letter table. Pure: no I/O.
/// </summary>
internal sealed class BrokerAccessPolicy
{
    private readonly Dictionary<string, BrokerUser> _users;
    private readonly bool _allowAnonymous;

    /// <summary>Client id → the gateway user it belongs to; null for an old-style id two gateway users share.</summary>
    private readonly Dictionary<string, string?> _gatewayClientIds = new(StringComparer.Ordinal);

    public BrokerAccessPolicy(IEnumerable<BrokerUser> users, bool allowAnonymous)
    {
        _users = users.ToDictionary(u => u.Username, StringComparer.Ordinal);
        _allowAnonymous = allowAnonymous;
        var gateways = _users.Values.Where(u => u.Role == BrokerRole.Gateway).ToList();
        foreach (var gateway in gateways)
        {
            _gatewayClientIds[gateway.Username] = gateway.Username;
        }

        // Old-style ids after the user names, which win: a user name is unambiguous, an old id may not be.
        foreach (var gateway in gateways.Where(g => Topics.IsValidId(g.Site) && Topics.IsValidId(g.Gateway)))
        {
            var legacy = ClientIds.LegacyGateway(gateway.Site!, gateway.Gateway!);
            if (_gatewayClientIds.TryGetValue(legacy, out var owner))
            {
                if (owner != gateway.Username && !_users.ContainsKey(legacy))
                {
                    _gatewayClientIds[legacy] = null;
                }
            }
            else
            {
                _gatewayClientIds[legacy] = gateway.Username;
            }
        }
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

    /// <summary>
    /// Null when this (authenticated) user may connect with this client id, otherwise why not. A gateway's id is its user
    /// name, or for gateways not yet upgraded the old <c>facilities-gateway-{site}-{gateway}</c> when no other gateway
    /// credential renders the same; no other user may take either. Other users choose their ids freely.
    /// </summary>
    public string? CheckClientId(string? username, string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (_gatewayClientIds.TryGetValue(clientId, out var owner))
        {
            if (owner is null)
            {
                return $"client id '{clientId}' is the old form that more than one gateway credential renders; the gateway must connect with its user name as client id";
            }

            return owner == username ? null : $"client id '{clientId}' belongs to gateway user '{owner}'";
        }

        return RoleOf(username) == BrokerRole.Gateway
            ? $"gateway user '{username}' must connect with its user name as client id, not '{clientId}'"
            : null;
    }

    /// <summary>Whether a client id is a gateway's old-style one (still accepted from its owner, with a warning).</summary>
    public bool IsLegacyClientId(string clientId) =>
        _gatewayClientIds.TryGetValue(clientId, out var owner) && owner is not null && owner != clientId;

    /// <summary>The id the broker gives a client that sent none (MQTT 5): a gateway's own, anyone else's a fresh one.</summary>
    public string AssignClientId(string? username) =>
        RoleOf(username) == BrokerRole.Gateway ? username! : $"auto-{Guid.NewGuid():N}";

    /// <summary>The gateway user publishing below <c>facilities/v1/{site}/{gateway}/</c>, if one is configured.</summary>
    public string? GatewayUserOf(string site, string gateway) =>
        _users.Values.FirstOrDefault(u => u.Role == BrokerRole.Gateway && u.Site == site && u.Gateway == gateway)?.Username;

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

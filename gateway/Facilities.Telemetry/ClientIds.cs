namespace Facilities.Telemetry;

/// <summary>
/// The MQTT client id a gateway connects with, one rule for the gateway that connects and the broker that checks it.
/// The id is the gateway's user name, so it follows from the credential and no other credential can claim it (the
/// broker refuses that; Mosquitto's <c>use_username_as_clientid</c> enforces the same). Without a user name (an
/// anonymous development broker) it is <c>{site}/{gateway}</c>: '/' cannot occur in an identifier, so no two gateways
/// share an id, as "a-b"+"c" and "a"+"b-c" did under the old <c>facilities-gateway-{site}-{gateway}</c>.
/// </summary>
public static class ClientIds
{
    public static string Gateway(string? username, string site, string gateway) =>
        string.IsNullOrEmpty(username) ? $"{Check(site)}/{Check(gateway)}" : username;

    /// <summary>
    /// The id gateways used before it followed the credential: <c>facilities-gateway-{site}-{gateway}</c>. Ambiguous
    /// ("a-b"+"c" = "a"+"b-c"), so the embedded broker accepts it only from the one credential it can belong to, for
    /// gateways not yet upgraded.
    /// </summary>
    public static string LegacyGateway(string site, string gateway) => $"facilities-gateway-{Check(site)}-{Check(gateway)}";

    private static string Check(string id) => Topics.IsValidId(id)
        ? id
        : throw new ArgumentException($"'{id}' is not a valid identifier: use 1-64 lower-case letters, digits, '-' or '_'.", nameof(id));
}

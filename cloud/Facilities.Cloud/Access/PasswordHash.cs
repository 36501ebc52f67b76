using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Facilities.Cloud.Access;

/// <summary>
/// Password hashes in Mosquitto's PBKDF2 format, <c>$7$iterations$salt$hash</c> (PBKDF2-HMAC-SHA512, salt and hash in
/// base64, what <c>mosquitto_passwd</c> writes), so one hash serves the embedded broker and an external Mosquitto.
/// </summary>
internal static class PasswordHash
{
    private const string Prefix = "$7$";
    private const int HashBytes = 64;
    private const int SaltBytes = 12;

    /// <summary>A new hash; <paramref name="iterations"/> above Mosquitto's 101 costs each connect more and Mosquitto reads it too.</summary>
    public static string Create(string password, int iterations = 10_000)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, HashBytes);
        return $"{Prefix}{iterations.ToString(CultureInfo.InvariantCulture)}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Whether the password matches the hash, compared in constant time; false for a malformed hash.</summary>
    public static bool Verify(string password, string hash)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!TryParse(hash, out var iterations, out var salt, out var expected))
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>What is wrong with a hash, or null if it can be used.</summary>
    public static string? Problem(string hash) =>
        TryParse(hash, out _, out _, out _)
            ? null
            : "not a Mosquitto PBKDF2 hash ('$7$iterations$salt$hash' as mosquitto_passwd writes it; the older '$6$' SHA512 format is not accepted)";

    private static bool TryParse(string? hash, out int iterations, out byte[] salt, out byte[] expected)
    {
        (iterations, salt, expected) = (0, [], []);
        if (hash is null || !hash.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = hash[Prefix.Length..].Split('$');
        if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 1)
        {
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(parts[1]);
            expected = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length > 0 && expected.Length > 0;
    }
}

using System.Security.Cryptography;
using System.Text;
using Dapper;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Access;

/// <summary>A user as sign-in and authorization see it.</summary>
public sealed record AccessUser(long Id, string Name, string Role);

/// <summary>A user as the admin list shows it (never the hash).</summary>
public sealed record UserSummary(string Name, string Role, DateTimeOffset CreatedAt, IReadOnlyList<TokenSummary> Tokens);

/// <summary>An API token as the admin list shows it (never the token).</summary>
public sealed record TokenSummary(string Label, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A session just begun: the id goes into the cookie, only its hash into the database.</summary>
public sealed record NewSession(string Id, DateTimeOffset ExpiresAt);

/// <summary>
/// Users, sessions and API tokens in the cloud's database, so every instance sees the same sign-ins and a removed user
/// is signed out everywhere at once (sessions and tokens go with the user). Passwords are PBKDF2-HMAC-SHA512
/// (<see cref="PasswordHash"/>); session ids and tokens are 256 random bits, stored as SHA-256 (a slow hash adds nothing
/// to a secret that cannot be guessed, and a fast one keeps every API request cheap).
/// </summary>
public sealed class UserStore(CloudDatabase database, AccessOptions options, TimeProvider time)
{
    /// <summary>Prefix of API tokens, so a leaked one is recognisable in logs and secret scanners.</summary>
    public const string TokenPrefix = "fct_";

    private static readonly string DummyHash = PasswordHash.Create("not a password", 10_000);

    public static string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "a user name is required"
        : name.Length > 64 ? "a user name has at most 64 characters"
        : name.Trim() != name ? "a user name cannot start or end with spaces"
        : name.Any(char.IsControl) ? "a user name cannot contain control characters"
        : name.IndexOfAny(UrlReserved) >= 0 ? $"a user name cannot contain any of {UrlReservedText} (it is part of URLs such as /api/users/{{name}})"
        : null;

    /// <summary>Why a token label is not acceptable; null when it is (1 to 64 characters that can stand in a URL path segment).</summary>
    public static string? LabelProblem(string? label) =>
        string.IsNullOrWhiteSpace(label) || label.Length > 64 ? "a token label has 1 to 64 characters"
        : label.Any(char.IsControl) || label.IndexOfAny(UrlReserved) >= 0 ? $"a token label cannot contain control characters or any of {UrlReservedText}"
        : null;

    // A name or label is a path segment of the admin API (/api/users/{name}/tokens/{label}); the server never decodes
    // %2F inside a segment, so a name with '/' could be created but never addressed again (nor removed) through the API.
    private static readonly char[] UrlReserved = ['/', '\\', '%', '?', '#'];

    private static readonly string UrlReservedText = string.Join(" ", UrlReserved);

    public static string? PasswordProblem(string? password) =>
        string.IsNullOrEmpty(password) || password.Length < 8 ? "a password needs at least 8 characters"
        : password.Length > 256 ? "a password has at most 256 characters"
        : null;

    /// <summary>Adds a user; false when the name is taken. Arguments are checked by <see cref="NameProblem"/> and friends.</summary>
    public async Task<bool> AddAsync(string name, string role, string password, CancellationToken cancellationToken)
    {
        Check(NameProblem(name), nameof(name));
        Check(PasswordProblem(password), nameof(password));
        Check(Roles.IsKnown(role) ? null : $"'{role}' is not one of {string.Join(", ", Roles.All)}", nameof(role));
        var hash = PasswordHash.Create(password, options.PasswordIterations);
        var now = Now;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM users WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken));
        if (exists > 0)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (@name, @role, @hash, @now, @now)",
            new { name, role, hash, now }, transaction, cancellationToken: cancellationToken));
        await write.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Removes a user with their sessions and tokens; false when there is none of that name.</summary>
    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT id FROM users WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken));
        if (id is null)
        {
            return false;
        }

        // Explicit deletes as well as ON DELETE CASCADE: PostgreSQL and SQLite agree, whatever the pragma says.
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sessions WHERE user_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM api_tokens WHERE user_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM users WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        await write.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Sets a new password and ends the user's sessions and API tokens (whoever knew the old password may have had an
    /// admin issue a token, or been one); false when there is no such user.
    /// </summary>
    public async Task<bool> SetPasswordAsync(string name, string password, CancellationToken cancellationToken)
    {
        Check(PasswordProblem(password), nameof(password));
        var hash = PasswordHash.Create(password, options.PasswordIterations);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT id FROM users WHERE name = @name", new { name }, transaction, cancellationToken: cancellationToken));
        if (id is null)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET password_hash = @hash, updated_at = @now WHERE id = @id", new { id, hash, now = Now }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sessions WHERE user_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM api_tokens WHERE user_id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        await write.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var users = await connection.QueryAsync<(long Id, string Name, string Role, long CreatedAt)>(new CommandDefinition(
            "SELECT id, name, role, created_at FROM users ORDER BY name", cancellationToken: cancellationToken));
        var tokens = (await connection.QueryAsync<(long UserId, string Label, long CreatedAt, long? LastUsedAt)>(new CommandDefinition(
            "SELECT user_id, label, created_at, last_used_at FROM api_tokens ORDER BY created_at, id", cancellationToken: cancellationToken)))
            .ToLookup(t => t.UserId);
        return [.. users.Select(u => new UserSummary(u.Name, u.Role, UnixTime.FromMs(u.CreatedAt),
            [.. tokens[u.Id].Select(t => new TokenSummary(t.Label, UnixTime.FromMs(t.CreatedAt), UnixTime.FromMs(t.LastUsedAt)))]))];
    }

    /// <summary>The user when the password is theirs; null otherwise (the same work either way, so timing tells nothing).</summary>
    public async Task<AccessUser?> VerifyPasswordAsync(string name, string password, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(long Id, string Name, string Role, string PasswordHash)>(new CommandDefinition(
            "SELECT id, name, role, password_hash FROM users WHERE name = @name", new { name }, cancellationToken: cancellationToken))).ToList();
        if (rows is not [var user])
        {
            PasswordHash.Verify(password, DummyHash);
            return null;
        }

        return PasswordHash.Verify(password, user.PasswordHash) ? new AccessUser(user.Id, user.Name, user.Role) : null;
    }

    /// <summary>Begins a session for a user (and forgets sessions that expired).</summary>
    public async Task<NewSession> BeginSessionAsync(AccessUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var id = NewSecret(string.Empty);
        var now = Now;
        var expires = now + (long)options.SessionIdle.TotalMilliseconds;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sessions WHERE expires_at < @now", new { now }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES (@hash, @userId, @now, @expires)",
            new { hash = Digest(id), userId = user.Id, now, expires }, transaction, cancellationToken: cancellationToken));
        await write.CommitAsync(cancellationToken);
        return new NewSession(id, UnixTime.FromMs(expires));
    }

    /// <summary>
    /// The session's user, or null when it is unknown or expired. A session used after a quarter of its idle time
    /// is extended (sliding expiry); <c>Renewed</c> then carries the new expiry for the cookie.
    /// </summary>
    public async Task<(AccessUser User, DateTimeOffset? Renewed)?> FindSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        var hash = Digest(sessionId);
        var now = Now;
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(long Id, string Name, string Role, long ExpiresAt)>(new CommandDefinition(
            "SELECT u.id, u.name, u.role, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = @hash",
            new { hash }, cancellationToken: cancellationToken))).ToList();
        if (rows is not [var found] || found.ExpiresAt <= now)
        {
            return null;
        }

        var idle = (long)options.SessionIdle.TotalMilliseconds;
        DateTimeOffset? renewed = null;
        if (found.ExpiresAt - now < idle - (idle / 4))
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE sessions SET expires_at = @expires WHERE id_hash = @hash",
                new { hash, expires = now + idle }, cancellationToken: cancellationToken));
            renewed = UnixTime.FromMs(now + idle);
        }

        return (new AccessUser(found.Id, found.Name, found.Role), renewed);
    }

    public async Task EndSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sessions WHERE id_hash = @hash", new { hash = Digest(sessionId) }, cancellationToken: cancellationToken));
    }

    /// <summary>A new API token for a machine client acting as <paramref name="userName"/>; shown once, stored hashed. Null when there is no such user.</summary>
    public async Task<string?> IssueTokenAsync(string userName, string label, CancellationToken cancellationToken)
    {
        Check(LabelProblem(label), nameof(label));
        var token = NewSecret(TokenPrefix);
        await using var connection = await database.OpenAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO api_tokens (user_id, label, token_hash, created_at) SELECT id, @label, @hash, @now FROM users WHERE name = @userName",
            new { userName, label, hash = Digest(token), now = Now }, cancellationToken: cancellationToken));
        return inserted == 1 ? token : null;
    }

    /// <summary>Revokes a user's tokens with this label; the number revoked.</summary>
    public async Task<int> RevokeTokensAsync(string userName, string label, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM api_tokens WHERE label = @label AND user_id IN (SELECT id FROM users WHERE name = @userName)",
            new { userName, label }, cancellationToken: cancellationToken));
    }

    /// <summary>The token's user, or null. 'Last used' is written at most once a minute per token.</summary>
    public async Task<AccessUser?> FindTokenAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var now = Now;
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(long TokenId, long? LastUsedAt, long Id, string Name, string Role)>(new CommandDefinition(
            "SELECT t.id, t.last_used_at, u.id, u.name, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = @hash",
            new { hash = Digest(token) }, cancellationToken: cancellationToken))).ToList();
        if (rows is not [var found])
        {
            return null;
        }

        if (found.LastUsedAt is not { } last || now - last > 60_000)
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE api_tokens SET last_used_at = @now WHERE id = @id",
                new { now, id = found.TokenId }, cancellationToken: cancellationToken));
        }

        return new AccessUser(found.Id, found.Name, found.Role);
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string NewSecret(string prefix) => prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    private static string Digest(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void Check(string? problem, string parameter)
    {
        if (problem is not null)
        {
            throw new ArgumentException(problem, parameter);
        }
    }
}

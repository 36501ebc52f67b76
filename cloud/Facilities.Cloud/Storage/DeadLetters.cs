using System.Data.Common;
using Dapper;

namespace Facilities.Cloud.Storage;

/// <summary>The one way a refused message is kept: topic, reason and the payload as it came, in <c>dead_letters</c>.</summary>
internal static class DeadLetters
{
    /// <summary>Inserts a dead letter, inside <paramref name="transaction"/> when there is one.</summary>
    public static Task<int> InsertAsync(
        DbConnection connection, DbTransaction? transaction, DateTimeOffset receivedAt, string topic, string reason, byte[] payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO dead_letters (received_at, topic, reason, payload) VALUES (@At, @topic, @reason, @payload)",
            new { At = receivedAt.ToUnixTimeMilliseconds(), topic, reason, payload }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>How many dead letters are kept.</summary>
    public static Task<long> CountAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM dead_letters", cancellationToken: cancellationToken));

    /// <summary>The newest dead letters first.</summary>
    public static async Task<IReadOnlyList<(long Id, long ReceivedAt, string Topic, string Reason, byte[] Payload)>> NewestAsync(
        DbConnection connection, int limit, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<(long Id, long ReceivedAt, string Topic, string Reason, byte[] Payload)>(new CommandDefinition(
            "SELECT id, received_at, topic, reason, payload FROM dead_letters ORDER BY id DESC LIMIT @limit", new { limit }, cancellationToken: cancellationToken))];
}

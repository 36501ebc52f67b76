using System.Data.Common;
using Dapper;

namespace Facilities.Cloud.Storage;

/// <summary>The one way a refused message is kept: topic, reason and the payload as it came, in <c>dead_letters</c>.</summary>
public static class DeadLetters
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
}

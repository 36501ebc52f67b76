using System.Data.Common;
using Dapper;

namespace Facilities.Cloud.Storage;

/// <summary>One schema step. <see cref="Sql"/> gets the dialect so a step is written once for both databases.</summary>
public sealed record Migration(int Version, string Name, Func<SqlDialect, string> Sql);

/// <summary>
/// Brings the schema up to date at start-up, in one transaction, under a lock (an advisory lock on PostgreSQL, the
/// write lock on SQLite) so two instances starting together do not both migrate. Steps are only ever appended.
/// </summary>
public static class Migrations
{
    private const long AdvisoryLockKey = 0x46_41_43_49_4C_49_54; // "FACILIT"

    public static async Task<int> ApplyAsync(CloudDatabase database, IReadOnlyList<Migration> steps, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(steps);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        if (database.Provider == DatabaseProvider.Postgres)
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = AdvisoryLockKey }, transaction, cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            transaction: transaction, cancellationToken: cancellationToken));
        // Every step not recorded yet, not only those above the highest: step numbers are reserved per area, so a
        // database may have step 10 before step 5 of another area exists.
        var done = (await connection.QueryAsync<int>(new CommandDefinition("SELECT version FROM schema_migrations", transaction: transaction, cancellationToken: cancellationToken))).ToHashSet();
        var applied = 0;
        foreach (var step in steps.Where(s => !done.Contains(s.Version)))
        {
            await ExecuteScriptAsync(connection, transaction, step.Sql(database.Dialect), cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @now)",
                new { step.Version, step.Name, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
            applied++;
        }

        await write.CommitAsync(cancellationToken);
        return applied;
    }

    /// <summary>Runs a script statement by statement (Npgsql and SQLite both accept several, but errors then name the statement).</summary>
    private static async Task ExecuteScriptAsync(DbConnection connection, DbTransaction transaction, string script, CancellationToken cancellationToken)
    {
        foreach (var statement in script.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition(statement, transaction: transaction, cancellationToken: cancellationToken));
            }
            catch (DbException error)
            {
                throw new InvalidOperationException($"schema step failed: {error.Message}\n{statement}", error);
            }
        }
    }
}

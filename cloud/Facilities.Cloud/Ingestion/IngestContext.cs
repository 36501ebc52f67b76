using System.Data.Common;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Ingestion;

/// <summary>The open write transaction a batch of messages is handled in, and the clock.</summary>
public sealed class IngestContext(CloudDatabase database, DbConnection connection, DbTransaction transaction, TimeProvider time)
{
    public CloudDatabase Database { get; } = database;

    public DbConnection Connection { get; } = connection;

    public DbTransaction Transaction { get; } = transaction;

    public TimeProvider Time { get; } = time;

    public SqlDialect Dialect => Database.Dialect;

    private readonly List<Action> _afterCommit = [];

    /// <summary>Runs <paramref name="action"/> once the transaction committed (never if it rolls back): for caches of what is stored.</summary>
    public void AfterCommit(Action action) => _afterCommit.Add(action);

    internal void Committed()
    {
        foreach (var action in _afterCommit)
        {
            action();
        }
    }
}

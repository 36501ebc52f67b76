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

    /// <summary>
    /// The stream version of each gateway whose numbered messages this transaction records, before and after it
    /// (<see cref="SeenRangeStore.AdvanceAsync"/>): set before the handlers run, for the copies they keep of what is stored.
    /// </summary>
    internal Dictionary<(string Site, string Gateway), StreamVersion> Streams { get; } = [];

    private readonly List<Action> _afterCommit = [];
    private readonly Dictionary<Type, object> _batchState = [];

    /// <summary>
    /// What a handler keeps for the length of this transaction (one instance per type), e.g. the rows its batch read;
    /// other handlers of the same transaction may look at it. Null until set.
    /// </summary>
    public T? Find<T>() where T : class => _batchState.TryGetValue(typeof(T), out var state) ? (T)state : null;

    /// <summary>Keeps <paramref name="state"/> for the rest of this transaction, for <see cref="Find{T}"/>.</summary>
    public void Keep<T>(T state) where T : class => _batchState[typeof(T)] = state ?? throw new ArgumentNullException(nameof(state));

    /// <summary>Keeps what a handler prepared before the transaction (<see cref="IMessageHandler.Prepare"/>), under its own type.</summary>
    internal void KeepPrepared(object state) => _batchState[state.GetType()] = state;

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

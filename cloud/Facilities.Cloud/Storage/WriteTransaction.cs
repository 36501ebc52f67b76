using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Facilities.Cloud.Storage;

/// <summary>
/// A write transaction (<see cref="CloudDatabase.BeginWriteAsync"/>). On SQLite it also holds this process's turn to
/// write the database file, from BEGIN IMMEDIATE until it commits, rolls back or is disposed.
/// <para>
/// Why the turn: SQLite has one writer at a time, and a writer that finds the lock taken sleeps and tries again, longer
/// each time (1 ms up to 100 ms a try). Under a backlog the ingest consumer writes batch after batch with hardly a gap, so
/// another writer — the history drainer deleting rows InfluxDB has taken, the due-work worker, an engineer acknowledging
/// an alert — slept through the gaps: the drainer's deletes waited up to 0.44 s each (measured in the ingest benchmark),
/// and the consumer in turn slept when it found their lock. The writers of one process now wait in line for the turn
/// (first come, first served) and begin the moment the writer before them is done; SQLite's own busy wait is left for
/// writers outside this process.
/// </para>
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    /// <summary>How long a writer waits for its turn before giving up, as SQLite's busy timeout (CloudDatabase.OpenAsync) does.</summary>
    internal static readonly TimeSpan TurnTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The turn per database file (full path): every <see cref="CloudDatabase"/> of this process on one file shares it.</summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Turns = new(StringComparer.Ordinal);

    private SemaphoreSlim? _turn;

    private WriteTransaction(DbTransaction transaction, SemaphoreSlim? turn)
    {
        Transaction = transaction;
        _turn = turn;
    }

    public DbTransaction Transaction { get; }

    internal static async ValueTask<WriteTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection is not SqliteConnection sqlite)
        {
            return new WriteTransaction(await connection.BeginTransactionAsync(cancellationToken), null);
        }

        var turn = TurnOf(sqlite);
        if (turn is not null && !await turn.WaitAsync(TurnTimeout, cancellationToken))
        {
            throw new TimeoutException($"SQLite database {sqlite.DataSource}: another writer of this process held it for more than {TurnTimeout.TotalSeconds:0} s");
        }

        try
        {
            return new WriteTransaction(sqlite.BeginTransaction(deferred: false), turn);
        }
        catch
        {
            turn?.Release();
            throw;
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            ReleaseTurn();
        }
    }

    public async Task RollbackAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Transaction.RollbackAsync(cancellationToken);
        }
        finally
        {
            ReleaseTurn();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Transaction.DisposeAsync();
        }
        finally
        {
            ReleaseTurn();
        }
    }

    private void ReleaseTurn() => Interlocked.Exchange(ref _turn, null)?.Release();

    /// <summary>The turn of the connection's database file; none for an in-memory database (each connection its own).</summary>
    private static SemaphoreSlim? TurnOf(SqliteConnection connection) =>
        string.IsNullOrEmpty(connection.DataSource) || connection.DataSource == ":memory:"
            ? null
            : Turns.GetOrAdd(connection.DataSource, _ => new SemaphoreSlim(1, 1));
}

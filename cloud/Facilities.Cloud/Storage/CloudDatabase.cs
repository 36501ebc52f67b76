using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Facilities.Cloud.Storage;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (default, single box) or <c>postgres</c> (several cloud instances).</summary>
    public string Provider { get; init; } = "sqlite";

    /// <summary>ADO.NET connection string; for SQLite the default is a file next to the working directory.</summary>
    public string ConnectionString { get; init; } = "Data Source=facilities-cloud.db";
}

/// <summary>
/// The cloud's relational store: SQLite for a single box, PostgreSQL when several instances share the work. Both run
/// the same SQL; the few differences (identity columns, row locks) are spelled by <see cref="Dialect"/>. Everything that
/// must be correct when two instances race (one open alert per device and rule, a message handled once) is enforced
/// by unique indexes, never by process memory.
/// </summary>
public sealed class CloudDatabase : IAsyncDisposable
{
    static CloudDatabase()
    {
        // Columns are snake_case (portable, unquoted); result classes use PascalCase properties.
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    private CloudDatabase(DatabaseProvider provider, DbDataSource dataSource, string connectionString)
    {
        Provider = provider;
        DataSource = dataSource;
        Dialect = new SqlDialect(provider);
        ConnectionString = connectionString;
    }

    /// <summary>
    /// The configured connection string, password included (a data source may hide it), for the few connections that
    /// live outside the pool: the consumer slots' advisory locks (Ingestion/SlotOwnershipStore.cs).
    /// </summary>
    internal string ConnectionString { get; }

    public DatabaseProvider Provider { get; }

    public DbDataSource DataSource { get; }

    public SqlDialect Dialect { get; }

    public static CloudDatabase Create(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider.ToUpperInvariant() switch
        {
            "SQLITE" => new CloudDatabase(DatabaseProvider.Sqlite, SqliteFactory.Instance.CreateDataSource(SqliteConnectionString(options.ConnectionString)), options.ConnectionString),
            "POSTGRES" or "POSTGRESQL" => new CloudDatabase(DatabaseProvider.Postgres, NpgsqlDataSource.Create(options.ConnectionString), options.ConnectionString),
            _ => throw new ArgumentException($"Storage:Provider '{options.Provider}' is not supported (use 'sqlite' or 'postgres')", nameof(options)),
        };
    }

    /// <summary>The size SQLite's write-ahead log file is cut back to when a writer starts it again from the beginning.</summary>
    public const long WalSizeLimitBytes = 64L * 1024 * 1024;

    /// <summary>
    /// An open connection; SQLite connections get WAL mode, a busy timeout and foreign keys, and leave checkpoints to
    /// <see cref="SqliteCheckpointer"/> (no commit copies the log into the database file).
    /// </summary>
    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        if (Provider == DatabaseProvider.Sqlite)
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; " +
                $"PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={WalSizeLimitBytes};";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }

        return connection;
    }

    /// <summary>
    /// A write transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE), so two writers queue instead of
    /// failing when a read lock would have to be upgraded; the writers of this process queue in line for their turn
    /// (<see cref="WriteTransaction"/>), others on SQLite's busy timeout.
    /// </summary>
    public static ValueTask<WriteTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        WriteTransaction.BeginAsync(connection, cancellationToken);

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();

    /// <summary>Adds defaults SQLite needs for a server-like workload (shared cache off, a command timeout for busy waits).</summary>
    private static string SqliteConnectionString(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DefaultTimeout == 30)
        {
            builder.DefaultTimeout = 15;
        }

        if (!string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }
        }

        return builder.ToString();
    }
}

/// <summary>The SQL that differs between SQLite and PostgreSQL, written once here.</summary>
public sealed class SqlDialect(DatabaseProvider provider)
{
    /// <summary>An auto-numbered 64-bit primary key column.</summary>
    public string IdentityColumn => provider == DatabaseProvider.Postgres ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";

    /// <summary>Binary data.</summary>
    public string Blob => provider == DatabaseProvider.Postgres ? "BYTEA" : "BLOB";

    /// <summary>
    /// Makes a text column's values their UTF-8 bytes, rows written before included: on PostgreSQL the column becomes
    /// BYTEA; SQLite's columns take any type, so each value is rewritten as a blob.
    /// </summary>
    public string TextToBlob(string table, string column) => provider == DatabaseProvider.Postgres
        ? $"ALTER TABLE {table} ALTER COLUMN {column} TYPE BYTEA USING convert_to({column}, 'UTF8')"
        : $"UPDATE {table} SET {column} = CAST({column} AS BLOB)";

    /// <summary>A 64-bit float.</summary>
    public string RealNumber => provider == DatabaseProvider.Postgres ? "DOUBLE PRECISION" : "REAL";

    /// <summary>Appended to a SELECT that reads a row it is about to update (SQLite's write transaction already excludes others).</summary>
    public string ForUpdate => provider == DatabaseProvider.Postgres ? " FOR UPDATE" : string.Empty;

    /// <summary>
    /// Appended to a SELECT that claims rows to work: rows another transaction holds are left to it (PostgreSQL); SQLite's
    /// write transaction already excludes others.
    /// </summary>
    public string ForUpdateSkipLocked => provider == DatabaseProvider.Postgres ? " FOR UPDATE SKIP LOCKED" : string.Empty;

    /// <summary>
    /// Keeps a large text column out of line and uncompressed on PostgreSQL (<c>STORAGE EXTERNAL</c>): for values written
    /// once, read once and deleted, where compressing them would cost the writing transaction more CPU than it saves.
    /// SQLite has no such setting: empty there.
    /// </summary>
    public string Uncompressed(string table, string column) =>
        provider == DatabaseProvider.Postgres ? $"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE EXTERNAL" : string.Empty;

    /// <summary>
    /// Leaves part of every page of a table free, so PostgreSQL can put a row's new version next to the old one (a
    /// heap-only update: no index entry, the old version pruned on the page). For tables whose few rows are updated all the
    /// time. SQLite has no such setting: empty there.
    /// </summary>
    public string KeepFreeForUpdates(string table, int percent) =>
        provider == DatabaseProvider.Postgres ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"ALTER TABLE {table} SET (fillfactor = {100 - percent})") : string.Empty;
}

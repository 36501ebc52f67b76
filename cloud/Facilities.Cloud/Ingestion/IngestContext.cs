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
}

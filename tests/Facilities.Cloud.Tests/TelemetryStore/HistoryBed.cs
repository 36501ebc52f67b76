using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Cloud.TelemetryStore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>
/// A history outbox in a fresh, migrated database (SQLite in a temporary folder, or PostgreSQL) and a drainer for it,
/// not started until the test says so. <see cref="RecordAsync"/> does what ingestion does for a batch: one row per call,
/// committed, then announced to the drainer.
/// </summary>
internal sealed class HistoryBed : IAsyncDisposable
{
    private HistoryBed(CloudDatabase database, InfluxOptions options)
    {
        Database = database;
        Options = options;
        Outbox = new HistoryOutboxStore(database);
        Metrics = new TelemetryStoreMetrics { Enabled = true };
        Drainer = new HistoryDrainer(options, Outbox, Metrics, TimeProvider.System, NullLogger<HistoryDrainer>.Instance);
    }

    public CloudDatabase Database { get; }

    public InfluxOptions Options { get; }

    public HistoryOutboxStore Outbox { get; }

    public TelemetryStoreMetrics Metrics { get; }

    public HistoryDrainer Drainer { get; }

    public static async Task<HistoryBed> CreateAsync(InfluxOptions options, CancellationToken cancellationToken, string provider = "sqlite", PostgresFixture? postgres = null)
    {
        var (database, _) = provider == "sqlite"
            ? await Databases.CreateAsync("sqlite", null!, cancellationToken)
            : await Databases.CreateAsync(provider, postgres ?? throw new ArgumentNullException(nameof(postgres)), cancellationToken);
        return new HistoryBed(database, options);
    }

    /// <summary>One ingest batch: the envelopes' lines in one outbox row, committed and announced.</summary>
    public async Task RecordAsync(params Envelope[] batch)
    {
        var (body, lines) = HistoryRecorder.Format(batch);
        await using var connection = await Database.OpenAsync(TestContext.Current.CancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, TestContext.Current.CancellationToken);
        var transaction = write.Transaction;
        await HistoryOutboxStore.AppendAsync(connection, transaction, body, lines, DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);
        await write.CommitAsync(TestContext.Current.CancellationToken);
        Outbox.Announce(lines);
    }

    public async ValueTask DisposeAsync()
    {
        await Drainer.StopAsync(CancellationToken.None);
        Drainer.Dispose();
        await Database.DisposeAsync();
    }
}

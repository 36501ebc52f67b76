using Dapper;

namespace Facilities.Cloud.Storage;

/// <summary>
/// Copies SQLite's write-ahead log into the database file in the background (PRAGMA wal_checkpoint(PASSIVE)), so no
/// writer does it inside its commit. By default SQLite checkpoints in the commit that takes the log past 1,000 pages:
/// under a backlog that was the ingest consumer's commit, every few batches — some 4 MB copied and the database file
/// synced while the one consumer that writes waits (draining 100,000 messages went from about 43,000 to 36,000 msg/s
/// with it, in the ingest benchmark). The cloud's connections turn that off (<see cref="CloudDatabase.OpenAsync"/>,
/// <c>wal_autocheckpoint=0</c>) and this service checkpoints every <see cref="Interval"/>. A passive checkpoint waits
/// for nobody: it copies what no reader still needs and leaves the rest for the next pass, so readers and writers carry
/// on. The log file is cut back to <see cref="CloudDatabase.WalSizeLimitBytes"/> when a writer restarts it. Registered
/// only for SQLite. What a stop leaves in the log is safe there (it is the durable part of the database) and is copied
/// by the next pass after the start, or by SQLite when the last connection closes.
/// </summary>
internal sealed partial class SqliteCheckpointer(CloudDatabase database, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    /// <summary>How often the log is checkpointed: a second's writes at most wait in it.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Pages left in the log after a pass past which the log is reported as growing (readers hold it: a long query, a stuck connection).</summary>
    private const long WarnPages = 256 * 1024;

    private bool _warned;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time, not the cloud's clock: a test's manual clock must not stop the log from being copied.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, stoppingToken);
                await CheckpointAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception error)
            {
                LogFailed(logger, error.Message);
            }
        }
    }

    /// <summary>One passive checkpoint; the pages left in the log that a reader still needs.</summary>
    internal async Task<long> CheckpointAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var (busy, log, copied) = await connection.QuerySingleAsync<(long, long, long)>(
            new CommandDefinition("PRAGMA wal_checkpoint(PASSIVE)", cancellationToken: cancellationToken));
        var left = log < 0 ? 0 : log - copied; // -1: not in WAL mode
        if (left > WarnPages && !_warned)
        {
            _warned = true;
            LogGrowing(logger, left, busy != 0);
        }
        else if (left <= WarnPages)
        {
            _warned = false;
        }

        return left;
    }

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "SQLite checkpoint failed: {Error}; trying again in a second")]
    private static partial void LogFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "SQLite's write-ahead log keeps {Pages} pages a reader still needs (busy: {Busy}): a long-running query or a connection left in a transaction holds it, and the log file grows until it ends")]
    private static partial void LogGrowing(ILogger logger, long pages, bool busy);
}

using Dapper;

namespace Facilities.Cloud.Storage;

/// <summary>Configuration section <c>Retention</c>: how long bookkeeping rows are kept.</summary>
internal sealed class RetentionOptions
{
    /// <summary>Seen sequence numbers: a redelivery older than this would count as new (brokers redeliver within minutes).</summary>
    public TimeSpan SeenMessages { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Refused messages, kept for people to look at.</summary>
    public TimeSpan DeadLetters { get; init; } = TimeSpan.FromDays(30);

    public TimeSpan Interval { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Deletes bookkeeping rows past their retention, in small chunks so it never holds the write lock for long.
/// Alerts, their timelines and notifications are records and are kept.
/// </summary>
internal sealed partial class RetentionJob(CloudDatabase database, RetentionOptions options, TimeProvider time, ILogger<RetentionJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Interval, time);
        do
        {
            try
            {
                var removed = await RunOnceAsync(stoppingToken);
                if (removed > 0)
                {
                    LogRemoved(logger, removed);
                }
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, error.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass; returns the number of rows deleted.</summary>
    public async Task<long> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        long removed = 0;
        // seen_ranges: a run is dropped once its last number is older than the window (the run a gateway is still
        // extending is kept). Only a redelivery older than the window could then count as new.
        foreach (var (table, keep, key, received) in new[]
        {
            ("seen_ranges", options.SeenMessages, "site, gateway, first_seq", "last_received"),
            ("dead_letters", options.DeadLetters, "id", "received_at"),
        })
        {
            var before = (now - keep).ToUnixTimeMilliseconds();
            int chunk;
            do
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                chunk = await connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} WHERE {received} < @before LIMIT 5000)",
                    new { before }, cancellationToken: cancellationToken));
                removed += chunk;
            }
            while (chunk > 0);
        }

        return removed;
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Retention: {Removed} old rows deleted")]
    private static partial void LogRemoved(ILogger logger, long removed);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Retention pass failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}

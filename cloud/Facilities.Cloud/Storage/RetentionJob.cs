using Dapper;

namespace Facilities.Cloud.Storage;

/// <summary>Configuration section <c>Retention</c>: how long bookkeeping rows are kept.</summary>
internal sealed class RetentionOptions
{
    /// <summary>Seen sequence numbers: a redelivery older than this would count as new (brokers redeliver within minutes).</summary>
    public TimeSpan SeenMessages { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Refused messages, kept for people to look at.</summary>
    public TimeSpan DeadLetters { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// An elevator's trips and door cycles per day (<c>counter_days</c>, what its page charts; InfluxDB keeps the readings
    /// themselves). At least <see cref="MinimumCounterDays"/>: the page shows up to 90 days and counts the first from the day before.
    /// </summary>
    public TimeSpan CounterDays { get; init; } = TimeSpan.FromDays(400);

    public TimeSpan Interval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The shortest <see cref="CounterDays"/> accepted: the elevator page's longest chart (90 days, <c>ElevatorEndpoints.MaxUsageDays</c>;
    /// a test keeps the two in step, Storage does not reference the read models), its day before, and a day of time zones.
    /// </summary>
    public static readonly TimeSpan MinimumCounterDays = TimeSpan.FromDays(92);

    /// <summary>Start-up check; returns the problems found, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        List<string> errors = [];
        foreach (var (name, value) in new[] { (nameof(SeenMessages), SeenMessages), (nameof(DeadLetters), DeadLetters), (nameof(Interval), Interval) })
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"'{name}' must be positive; got {value}");
            }
        }

        if (CounterDays < MinimumCounterDays)
        {
            errors.Add($"'{nameof(CounterDays)}' must be at least {MinimumCounterDays.TotalDays:0} days (the elevator page charts up to 90 days); got {CounterDays}");
        }

        return errors;
    }
}

/// <summary>
/// Deletes bookkeeping rows past their retention, in small chunks so it never holds the write lock for long.
/// Alerts, their timelines and notifications are records and are kept. Each table is read through an index on the
/// column compared.
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
        // counter_days: a day is dropped once it is older than the window in UTC (its site-local day may be one off:
        // the minimum window leaves room for that).
        foreach (var (table, key, received, before) in new (string, string, string, object)[]
        {
            ("seen_ranges", "site, gateway, first_seq", "last_received", (now - options.SeenMessages).ToUnixTimeMilliseconds()),
            ("dead_letters", "id", "received_at", (now - options.DeadLetters).ToUnixTimeMilliseconds()),
            ("counter_days", "site, device, point, day", "day", (now - options.CounterDays).UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
        })
        {
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

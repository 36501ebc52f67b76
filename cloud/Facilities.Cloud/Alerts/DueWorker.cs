using System.Data.Common;
using Facilities.Cloud.Rules;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Alerts;

/// <summary>
/// Works what comes due without a message — a pending alert's "for" running out, a device or gateway falling silent, an
/// expiry or age date coming near, a flapping alert's hold ending — from the due-work table, earliest first: claims a
/// chunk of due subjects, evaluates each (which stores its next due time), commits, and when nothing is due sleeps until
/// the earliest due time, at most <see cref="RulesOptions.SweepInterval"/> (so a due time another instance wrote, or one
/// that ingestion moved to "now", is seen within it). The work costs what is due, not the size of the fleet.
/// <para>
/// Several instances share the work through the claim: on PostgreSQL each chunk's rows are locked with
/// <c>FOR UPDATE SKIP LOCKED</c>, so instances take disjoint chunks and a row worked by one no longer matches for the
/// other; the alert writes are guarded besides (<see cref="AlertStore.ApplyAsync"/>). SQLite has one writer at a time.
/// </para>
/// </summary>
public sealed partial class DueWorker(CloudDatabase database, AlertEngine engine, RulesOptions options, TimeProvider time, ILogger<DueWorker> logger) : BackgroundService
{
    /// <summary>Subjects claimed and worked in one transaction.</summary>
    private const int Chunk = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = options.SweepInterval;
            try
            {
                await WorkDueAsync(stoppingToken);
                await using var connection = await database.OpenAsync(stoppingToken);
                if (await DueWorkStore.NextAsync(connection, stoppingToken) is { } next)
                {
                    var until = next - time.GetUtcNow();
                    wait = until < TimeSpan.Zero ? TimeSpan.Zero : until < wait ? until : wait;
                }
            }
            catch (Exception error) when (error is DbException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                LogWorkFailed(logger, error.Message);
            }

            await Task.Delay(wait, time, stoppingToken);
        }
    }

    /// <summary>Works every subject due now, chunk by chunk (also called by tests with a controlled clock); returns how many were worked.</summary>
    public async Task<int> WorkDueAsync(CancellationToken cancellationToken)
    {
        var worked = 0;
        await using var connection = await database.OpenAsync(cancellationToken);
        while (true)
        {
            var now = time.GetUtcNow();
            int claimed;
            try
            {
                await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
                var transaction = write.Transaction;
                var due = await DueWorkStore.ClaimAsync(connection, transaction, database.Dialect, now, Chunk, cancellationToken);
                foreach (var subject in due)
                {
                    await WorkAsync(connection, transaction, subject, now, cancellationToken);
                }

                await write.CommitAsync(cancellationToken);
                claimed = due.Count;
            }
            catch (Exception error) when (error is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // One subject whose evaluation fails must not hold up every subject due after it for ever: the chunk once
                // more, a transaction per subject, and a subject that fails again is put off.
                LogChunkFailed(logger, error.Message);
                claimed = await WorkOneByOneAsync(connection, now, cancellationToken);
            }

            worked += claimed;
            if (claimed < Chunk)
            {
                return worked;
            }
        }
    }

    private async Task WorkAsync(DbConnection connection, DbTransaction transaction, DueSubject subject, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var known = subject.Subject.StartsWith(GatewayPrefix, StringComparison.Ordinal)
            ? await engine.EvaluateGatewayAsync(connection, transaction, subject.Site, subject.Subject[GatewayPrefix.Length..], now, cancellationToken)
            : await engine.EvaluateDeviceAsync(connection, transaction, subject.Site, subject.Subject, now, cancellationToken);
        if (!known)
        {
            await DueWorkStore.ForgetAsync(connection, transaction, subject.Site, subject.Subject, cancellationToken);
        }
    }

    private async Task<int> WorkOneByOneAsync(DbConnection connection, DateTimeOffset now, CancellationToken cancellationToken)
    {
        IReadOnlyList<DueSubject> due;
        await using (var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken))
        {
            due = await DueWorkStore.ClaimAsync(connection, write.Transaction, database.Dialect, now, Chunk, cancellationToken);
        }

        foreach (var subject in due)
        {
            try
            {
                await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
                var transaction = write.Transaction;
                if (await DueWorkStore.ClaimAsync(connection, transaction, database.Dialect, subject, now, cancellationToken))
                {
                    await WorkAsync(connection, transaction, subject, now, cancellationToken);
                }

                await write.CommitAsync(cancellationToken);
            }
            catch (Exception error) when (error is not OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogSubjectFailed(logger, subject.Site, subject.Subject, PutOff.TotalSeconds, error);
                await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
                var transaction = write.Transaction;
                await DueWorkStore.PutOffAsync(connection, transaction, subject, now + PutOff, cancellationToken);
                await write.CommitAsync(cancellationToken);
            }
        }

        return due.Count;
    }

    /// <summary>How long a subject whose evaluation failed waits before it is tried again.</summary>
    private static readonly TimeSpan PutOff = TimeSpan.FromMinutes(1);

    private static readonly string GatewayPrefix = AlertEngine.GatewaySubject("");

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Working due alerts failed: {Error}")]
    private static partial void LogWorkFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "A chunk of due alert work failed ({Error}); working it one subject at a time")]
    private static partial void LogChunkFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "Due alert work for {Site}/{Subject} failed; put off by {Seconds} s")]
    private static partial void LogSubjectFailed(ILogger logger, string site, string subject, double seconds, Exception error);
}

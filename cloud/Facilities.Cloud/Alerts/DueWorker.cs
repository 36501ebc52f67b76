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
            await using var transaction = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
            var due = await DueWorkStore.ClaimAsync(connection, transaction, database.Dialect, now, Chunk, cancellationToken);
            foreach (var subject in due)
            {
                var known = subject.Subject.StartsWith(GatewayPrefix, StringComparison.Ordinal)
                    ? await engine.EvaluateGatewayAsync(connection, transaction, subject.Site, subject.Subject[GatewayPrefix.Length..], now, cancellationToken)
                    : await engine.EvaluateDeviceAsync(connection, transaction, subject.Site, subject.Subject, now, cancellationToken);
                if (!known)
                {
                    await DueWorkStore.ForgetAsync(connection, transaction, subject.Site, subject.Subject, cancellationToken);
                }
            }

            await transaction.CommitAsync(cancellationToken);
            worked += due.Count;
            if (due.Count < Chunk)
            {
                return worked;
            }
        }
    }

    private static readonly string GatewayPrefix = AlertEngine.GatewaySubject("");

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Working due alerts failed: {Error}")]
    private static partial void LogWorkFailed(ILogger logger, string error);
}

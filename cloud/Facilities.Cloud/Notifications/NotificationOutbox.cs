using System.Data.Common;
using Dapper;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Notifications;

/// <summary>A notification claimed for sending: its row, and the attempt number this claim made.</summary>
public sealed class ClaimedNotification
{
    public long Id { get; set; }

    public long AlertId { get; set; }

    public string Channel { get; set; } = "";

    public string Subject { get; set; } = "";

    public string Body { get; set; } = "";

    public string Target { get; set; } = "";

    public long Attempts { get; set; }
}

/// <summary>
/// The <c>notifications</c> table as an outbox. Rows are written inside the alert's transaction (so a rolled-back alert
/// change notifies nobody) and sent later by <see cref="NotificationDispatcher"/>. A unique <c>dedupe_key</c> (alert,
/// event, escalation level and round, channel, target) makes every enqueue idempotent, whichever instance does it and
/// however often. Sending is claimed row by row with a compare-and-set UPDATE and a lease, so two instances never send
/// the same row at the same time, and a row whose sender died is taken over when the lease runs out.
/// </summary>
public sealed partial class NotificationOutbox(
    CloudDatabase database, NotificationChannels channels, NoticeFormatter formatter, ILogger<NotificationOutbox> logger)
{
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Failed = "failed";

    /// <summary>
    /// Queues <paramref name="notice"/> for every channel of <paramref name="contact"/>; returns how many rows were new.
    /// <paramref name="targets"/> replaces the contact's channels and their targets (closing notices go where the page went).
    /// </summary>
    public async Task<int> QueueForContactAsync(
        DbConnection connection, DbTransaction transaction, AlertNotice notice, string route, int level, int round, string @event,
        OnCallContact contact, TimeSpan? unacknowledgedFor, DateTimeOffset now, CancellationToken cancellationToken,
        IReadOnlyList<(string Channel, string? Target)>? targets = null)
    {
        ArgumentNullException.ThrowIfNull(notice);
        ArgumentNullException.ThrowIfNull(contact);
        var message = formatter.Format(notice, @event, level, contact, unacknowledgedFor);
        var queued = 0;
        foreach (var (channelName, fixedTarget) in targets ?? contact.Channels.Select(c => (Channel: c, Target: (string?)null)).ToList())
        {
            if (channels.Find(channelName) is not { } channel)
            {
                LogUnknownChannel(logger, channelName, contact.Key);
                continue;
            }

            var target = fixedTarget ?? channel.Target(contact);
            var inserted = await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO notifications (alert_id, event, route, escalation_level, repeat_round, contact, channel, channel_type, target,
                    subject, body, dedupe_key, state, attempts, next_attempt_at, created_at, updated_at)
                VALUES (@AlertId, @Event, @Route, @Level, @Round, @Contact, @Channel, @ChannelType, @Target,
                    @Subject, @Body, @DedupeKey, 'queued', 0, @Now, @Now, @Now)
                ON CONFLICT DO NOTHING
                """,
                new
                {
                    notice.AlertId, Event = @event, Route = route, Level = (long)level, Round = (long)round, Contact = contact.Key, Channel = channelName,
                    ChannelType = channel.Type, Target = target, message.Subject, Body = channel.Compose(message),
                    DedupeKey = $"{notice.AlertId}/{@event}/{level}/{round}/{channelName}/{target}", Now = now.ToUnixTimeMilliseconds(),
                },
                transaction, cancellationToken: cancellationToken));
            queued += inserted;
        }

        return queued;
    }

    /// <summary>Who was paged about an alert (first, escalated and reminder notices), per channel and target.</summary>
    public static async Task<IReadOnlyList<PagedRecipient>> PagedAsync(DbConnection connection, DbTransaction transaction, long alertId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<PagedRecipient>(new CommandDefinition("""
            SELECT contact AS Contact, channel AS Channel, target AS Target, MIN(route) AS Route, MIN(escalation_level) AS Level
            FROM notifications WHERE alert_id = @alertId AND event IN ('firing', 'escalated', 'repeated')
            GROUP BY contact, channel, target ORDER BY MIN(id)
            """,
            new { alertId }, transaction, cancellationToken: cancellationToken))];

    /// <summary>Notifications that are due: queued ones whose time has come, and sending ones whose lease ran out.</summary>
    public async Task<IReadOnlyList<long>> DueAsync(DateTimeOffset now, int limit, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<long>(new CommandDefinition("""
            SELECT id FROM notifications
            WHERE state IN ('queued', 'sending') AND next_attempt_at <= @now AND attempts < @maxAttempts
            ORDER BY next_attempt_at, id LIMIT @limit
            """,
            new { now = now.ToUnixTimeMilliseconds(), limit, maxAttempts = (long)maxAttempts }, cancellationToken: cancellationToken))];
    }

    /// <summary>
    /// Takes a notification for one attempt, or returns null if another instance took it first: the UPDATE only
    /// succeeds while the row is still due (PostgreSQL re-checks the condition after a concurrent update commits).
    /// </summary>
    public async Task<ClaimedNotification?> ClaimAsync(long id, DateTimeOffset now, DateTimeOffset leaseUntil, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<ClaimedNotification>(new CommandDefinition("""
            UPDATE notifications SET state = 'sending', attempts = attempts + 1, next_attempt_at = @leaseUntil, updated_at = @now
            WHERE id = @id AND state IN ('queued', 'sending') AND next_attempt_at <= @now AND attempts < @maxAttempts
            RETURNING id AS Id, alert_id AS AlertId, channel AS Channel, subject AS Subject, body AS Body, target AS Target, attempts AS Attempts
            """,
            new { id, now = now.ToUnixTimeMilliseconds(), leaseUntil = leaseUntil.ToUnixTimeMilliseconds(), maxAttempts = (long)maxAttempts },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Records an attempt and moves the row to <paramref name="state"/> (sent, queued again at <paramref name="nextAttempt"/>,
    /// or failed). False when the lease had run out and another instance claimed the row meanwhile: the attempt is
    /// still recorded, the row is left to the newer claim.
    /// </summary>
    public async Task<bool> RecordAsync(
        ClaimedNotification claimed, DeliveryResult result, string state, DateTimeOffset nextAttempt, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        ArgumentNullException.ThrowIfNull(result);
        var nowMs = now.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO notification_attempts (notification_id, attempt, at, delivered, detail, duration_ms)
            VALUES (@Id, @Attempts, @now, @delivered, @detail, @durationMs) ON CONFLICT DO NOTHING
            """,
            new { claimed.Id, claimed.Attempts, now = nowMs, delivered = result.Delivered ? 1L : 0L, detail = result.Detail, durationMs = (long)duration.TotalMilliseconds },
            transaction, cancellationToken: cancellationToken));
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE notifications SET state = @state, next_attempt_at = @next, last_error = @error, sent_at = @sentAt, updated_at = @now
            WHERE id = @Id AND state = 'sending' AND attempts = @Attempts
            """,
            new
            {
                claimed.Id, claimed.Attempts, state, next = nextAttempt.ToUnixTimeMilliseconds(), now = nowMs,
                error = result.Delivered ? null : result.Detail, sentAt = result.Delivered ? nowMs : (long?)null,
            },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return updated == 1;
    }

    /// <summary>Gives up on rows whose last allowed attempt never reported back (the sending instance stopped mid-send).</summary>
    public async Task<int> AbandonAsync(DateTimeOffset now, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE notifications SET state = 'failed', updated_at = @now,
                last_error = 'no result recorded: the sending instance stopped during the last attempt'
            WHERE state = 'sending' AND next_attempt_at <= @now AND attempts >= @maxAttempts
            """,
            new { now = now.ToUnixTimeMilliseconds(), maxAttempts = (long)maxAttempts }, cancellationToken: cancellationToken));
    }

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Notifications: channel '{Channel}' of contact '{Contact}' is not configured; skipped")]
    private static partial void LogUnknownChannel(ILogger logger, string channel, string contact);
}

/// <summary>A channel and target that was paged about an alert, and by whom (route, level) first.</summary>
public sealed class PagedRecipient
{
    public string Contact { get; set; } = "";

    public string Channel { get; set; } = "";

    public string Target { get; set; } = "";

    public string Route { get; set; } = "";

    public long Level { get; set; }
}

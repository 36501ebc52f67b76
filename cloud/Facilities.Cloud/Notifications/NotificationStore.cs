using System.Data.Common;
using Dapper;
using Facilities.Cloud.Outbox;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Domain.Alerts;
using Facilities.Cloud.Domain.Notifications;
using Facilities.Cloud.Storage;

namespace Facilities.Cloud.Notifications;

/// <summary>A notification claimed for sending: its row, and the attempt number this claim made.</summary>
internal sealed class ClaimedNotification : IOutboxMessage
{
    public long Key { get; set; }

    public long Attempt { get; set; }

    public long AlertId { get; set; }

    public string Channel { get; set; } = "";

    public string Subject { get; set; } = "";

    public string Body { get; set; } = "";

    public string Target { get; set; } = "";
}

/// <summary>
/// The <c>notifications</c> table as an outbox. Rows are written inside the alert's transaction (so a rolled-back alert
/// change notifies nobody) and sent later by <see cref="NotificationDispatcher"/>. A unique <c>dedupe_key</c> (alert,
/// event, escalation level and round, channel, target) makes every enqueue idempotent, whichever instance does it and
/// however often. Sending (claim, lease, retries, the <c>notification_attempts</c> history) is the shared outbox
/// mechanism's (<see cref="OutboxStore{TMessage}"/>), over this table.
/// </summary>
internal sealed partial class NotificationStore(
    CloudDatabase database, NotificationChannels channels, NoticeFormatter formatter, ILogger<NotificationStore> logger)
{
    /// <summary>The <c>notifications</c> table as the outbox mechanism sees it, with its attempt history.</summary>
    internal static readonly OutboxTable Table = new(
        "notifications", "id", "alert_id AS AlertId, channel AS Channel, subject AS Subject, body AS Body, target AS Target",
        "sent", "sent_at", UpdatedAt: "updated_at", Attempts: new OutboxAttemptTable("notification_attempts", "notification_id"));

    /// <summary>Claims, records and gives up on rows of this table.</summary>
    internal OutboxStore<ClaimedNotification> Store { get; } = new(database, Table);

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

    /// <summary>Starts an alert's escalation on a route: its first step is due at <paramref name="next"/> (once per alert and route).</summary>
    public static Task StartEscalationAsync(DbConnection connection, DbTransaction transaction, long alertId, string route, DateTimeOffset next, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO alert_escalations (alert_id, route, level, repeat_round, next_at, updated_at)
            VALUES (@alertId, @route, 0, 0, @next, @now) ON CONFLICT DO NOTHING
            """,
            new { alertId, route, next = next.ToUnixTimeMilliseconds(), now = now.ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));

    /// <summary>Stops an alert's escalations (acknowledged or resolved: <paramref name="state"/>).</summary>
    public static Task StopEscalationAsync(DbConnection connection, DbTransaction transaction, long alertId, string state, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alert_escalations SET next_at = NULL, stopped = @state, updated_at = @now WHERE alert_id = @alertId AND next_at IS NOT NULL",
            new { alertId, state, now = now.ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));

    /// <summary>Who was paged about an alert (first, escalated and reminder notices), per channel and target.</summary>
    public static async Task<IReadOnlyList<PagedRecipient>> PagedAsync(DbConnection connection, DbTransaction transaction, long alertId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<PagedRecipient>(new CommandDefinition("""
            SELECT contact AS Contact, channel AS Channel, target AS Target, MIN(route) AS Route, MIN(escalation_level) AS Level
            FROM notifications WHERE alert_id = @alertId AND event IN ('firing', 'escalated', 'repeated')
            GROUP BY contact, channel, target ORDER BY MIN(id)
            """,
            new { alertId }, transaction, cancellationToken: cancellationToken))];

    /// <summary>
    /// Up to <paramref name="limit"/> escalation ladders whose next step is due at <paramref name="now"/>, earliest first,
    /// each with what its alert's notices say (the alert is read in the same statement: a step is worth nothing without it).
    /// </summary>
    public static async Task<IReadOnlyList<DueEscalation>> DueEscalationsAsync(DbConnection connection, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<DueEscalation, AlertRow, DueEscalation>(
            new CommandDefinition("""
                SELECT e.route AS Route, e.level AS Level, e.repeat_round AS Round, a.*
                FROM alert_escalations e JOIN alerts a ON a.id = e.alert_id
                WHERE e.next_at IS NOT NULL AND e.next_at <= @now
                ORDER BY e.next_at LIMIT @limit
                """,
                new { now = now.ToUnixTimeMilliseconds(), limit }, cancellationToken: cancellationToken),
            (ladder, alert) => ladder with { Alert = alert },
            splitOn: "id")];

    /// <summary>Stops a ladder where it stands (<paramref name="reason"/>), if it still stands at the ladder's (level, round).</summary>
    public static Task StopLadderAsync(DbConnection connection, DbTransaction transaction, DueEscalation ladder, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ladder);
        return connection.ExecuteAsync(new CommandDefinition("""
            UPDATE alert_escalations SET next_at = NULL, stopped = @reason, updated_at = @now
            WHERE alert_id = @AlertId AND route = @Route AND level = @Level AND repeat_round = @Round
            """,
            new { ladder.AlertId, ladder.Route, ladder.Level, ladder.Round, reason, now = now.ToUnixTimeMilliseconds() }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Moves a ladder from its (level, round) to <paramref name="step"/>'s, next due at <paramref name="nextAt"/> (null with
    /// <paramref name="stopped"/>: the last step): a compare-and-set that also requires the alert to be firing and not
    /// acknowledged, so with several instances each step is taken once. Returns 0 when another instance took it, or the alert moved on.
    /// </summary>
    public static Task<int> AdvanceLadderAsync(
        DbConnection connection, DbTransaction transaction, DueEscalation ladder, EscalationStep step, DateTimeOffset? nextAt, string? stopped, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ladder);
        ArgumentNullException.ThrowIfNull(step);

        // The new level and round need names of their own: Npgsql matches parameter names case-insensitively (@level is @Level).
        return connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE alert_escalations SET level = @newLevel, repeat_round = @newRound, next_at = @next, stopped = @stopped, updated_at = @now
            WHERE alert_id = @AlertId AND route = @Route AND level = @Level AND repeat_round = @Round AND next_at IS NOT NULL
              AND EXISTS (SELECT 1 FROM alerts WHERE id = @AlertId AND state = '{AlertStates.Firing}' AND acknowledged_at IS NULL)
            """,
            new
            {
                ladder.AlertId, ladder.Route, ladder.Level, ladder.Round, newLevel = (long)step.Level, newRound = (long)step.Round,
                next = nextAt?.ToUnixTimeMilliseconds(), stopped, now = now.ToUnixTimeMilliseconds(),
            },
            transaction, cancellationToken: cancellationToken));
    }

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Notifications: channel '{Channel}' of contact '{Contact}' is not configured; skipped")]
    private static partial void LogUnknownChannel(ILogger logger, string channel, string contact);
}

/// <summary>A channel and target that was paged about an alert, and by whom (route, level) first.</summary>
internal sealed class PagedRecipient
{
    public string Contact { get; set; } = "";

    public string Channel { get; set; } = "";

    public string Target { get; set; } = "";

    public string Route { get; set; } = "";

    public long Level { get; set; }
}

/// <summary>An escalation ladder whose next step is due: its route, where it stands (level, round), and the alert it climbs for.</summary>
internal sealed record DueEscalation
{
    public string Route { get; init; } = "";

    public long Level { get; init; }

    public long Round { get; init; }

    public AlertRow Alert { get; init; } = new();

    public long AlertId => Alert.Id;
}

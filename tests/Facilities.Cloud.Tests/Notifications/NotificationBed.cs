using Dapper;
using Facilities.Cloud.Alerts;
using Facilities.Cloud.Notifications;
using Facilities.Cloud.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Facilities.Cloud.Sites;

namespace Facilities.Cloud.Tests.Notifications;

/// <summary>A notification row as the tests read it back.</summary>
internal sealed class NotificationRow
{
    public long Id { get; set; }

    public long AlertId { get; set; }

    public string Event { get; set; } = "";

    public string Route { get; set; } = "";

    public long Level { get; set; }

    public long Round { get; set; }

    public string Contact { get; set; } = "";

    public string Channel { get; set; } = "";

    public string Target { get; set; } = "";

    public string Subject { get; set; } = "";

    public string Body { get; set; } = "";

    public string State { get; set; } = "";

    public long Attempts { get; set; }

    public long NextAttemptAt { get; set; }

    public string? LastError { get; set; }

    public long? SentAt { get; set; }
}

/// <summary>
/// The notification parts wired to a fresh migrated database (SQLite or PostgreSQL) and a clock the test moves:
/// what AddNotifications builds, without the host, so a test can run single dispatch and escalation passes.
/// </summary>
internal sealed class NotificationBed : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2025, 3, 1, 6, 0, 0, TimeSpan.Zero);

    private NotificationBed(CloudDatabase database, NotificationOptions options)
    {
        Database = database;
        Options = options;
        Router = new NotificationRouter(options);
        Channels = new NotificationChannels(options, Time);
        Outbox = new NotificationStore(database, Channels, new NoticeFormatter(new SiteTime(options.TimeZone, options.SiteTimeZones)), NullLogger<NotificationStore>.Instance);
        Notifier = new AlertNotifier(Router, Outbox, Time, NullLogger<AlertNotifier>.Instance);
    }

    public CloudDatabase Database { get; }

    public NotificationOptions Options { get; }

    public ManualClock Time { get; } = new(Start);

    public NotificationRouter Router { get; }

    public NotificationChannels Channels { get; }

    public NotificationStore Outbox { get; }

    public AlertNotifier Notifier { get; }

    public static async Task<NotificationBed> CreateAsync(string provider, PostgresFixture postgres, NotificationOptions options, CancellationToken cancellationToken)
    {
        Assert.Empty(NotificationOptionsValidator.Validate(options));
        var (database, _) = await Databases.CreateAsync(provider, postgres, cancellationToken);
        return new NotificationBed(database, options);
    }

    public NotificationDispatcher Dispatcher() => new(Outbox, Channels, Options, Time, NullLogger<NotificationDispatcher>.Instance);

    public EscalationScheduler Scheduler() => new(Database, Router, Outbox, Options, Time, NullLogger<EscalationScheduler>.Instance);

    /// <summary>Inserts a firing alert the way the alert engine would, and returns its notice.</summary>
    public async Task<AlertNotice> InsertAlertAsync(string site, string severity, CancellationToken cancellationToken, string device = "elevator-1")
    {
        var now = Time.GetUtcNow();
        await using var connection = await Database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO alerts (site, gateway, device, kind, building, rule_id, severity, state, title, detail, value, opened_at, fired_at, updated_at)
            VALUES (@site, 'gw-1', @device, 'elevator', 'A栋', 'elevator.trapped', @severity, 'firing', '电梯困人 Trapped passenger', 'car stopped between floors 3 and 4', 1, @now, @now, @now)
            RETURNING id
            """,
            new { site, device, severity, now = now.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return new AlertNotice(id, site, "A栋", device, "elevator", "elevator.trapped", severity, "firing", "电梯困人 Trapped passenger",
            "car stopped between floors 3 and 4", 1, now);
    }

    /// <summary>Calls the notifier inside a write transaction, as the alert engine does.</summary>
    public async Task NotifyAsync(AlertNotice notice, CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(cancellationToken);
        await using var write = await CloudDatabase.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        await Notifier.OnTransitionAsync(notice, connection, transaction, cancellationToken);
        await write.CommitAsync(cancellationToken);
    }

    /// <summary>Acknowledges the alert in the alerts table and tells the notifier, as the alert API will.</summary>
    public async Task AcknowledgeAsync(AlertNotice notice, string by, CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        await using (var connection = await Database.OpenAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE alerts SET state = 'acknowledged', acknowledged_at = @now, acknowledged_by = @by, updated_at = @now WHERE id = @AlertId",
                new { notice.AlertId, by, now = now.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        }

        await NotifyAsync(notice with { State = "acknowledged", AcknowledgedBy = by, At = now }, cancellationToken);
    }

    public async Task<IReadOnlyList<NotificationRow>> RowsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<NotificationRow>(new CommandDefinition("""
            SELECT id AS Id, alert_id AS AlertId, event AS Event, route AS Route, escalation_level AS Level, repeat_round AS Round,
                contact AS Contact, channel AS Channel, target AS Target, subject AS Subject, body AS Body, state AS State,
                attempts AS Attempts, next_attempt_at AS NextAttemptAt, last_error AS LastError, sent_at AS SentAt
            FROM notifications ORDER BY id
            """, cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<(long Attempt, long Delivered, string Detail)>> AttemptsAsync(long notificationId, CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<(long, long, string)>(new CommandDefinition(
            "SELECT attempt, delivered, detail FROM notification_attempts WHERE notification_id = @notificationId ORDER BY attempt",
            new { notificationId }, cancellationToken: cancellationToken))];
    }

    public async ValueTask DisposeAsync()
    {
        Channels.Dispose();
        await Database.DisposeAsync();
    }

    /// <summary>Options with a channel per (name, type, url) and a contact per channel of the same name.</summary>
    public static NotificationOptions OptionsFor(IEnumerable<(string Name, NotificationChannelOptions Channel)> channels, params NotificationRouteOptions[] routes)
    {
        var options = new NotificationOptions { Routes = [.. routes], RetryBaseDelay = TimeSpan.FromSeconds(30), RetryMaxDelay = TimeSpan.FromMinutes(10) };
        foreach (var (name, channel) in channels)
        {
            options.Channels[name] = channel;
            options.Contacts[name] = new NotificationContactOptions { Name = name, Channels = [name] };
        }

        return options;
    }

    public static NotificationChannelOptions Webhook(Uri url) => new() { Type = NotificationChannelOptions.Webhook, Url = url };
}

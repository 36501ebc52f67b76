using Dapper;
using Facilities.Cloud.Storage;

namespace Facilities.Demo;

/// <summary>
/// Prints, as they happen, the alerts the cloud raises and their state changes, the work orders it opens and the
/// notifications the webhook receiver gets — what a fault injected from a second terminal leads to.
/// </summary>
public sealed class ActivityFeed(DemoEstate demo, TextWriter output, TimeProvider time)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly Dictionary<long, string> _alertStates = [];
    private long _lastWorkOrder;
    private int _notificationsShown;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var database = demo.Cloud.Services.GetRequiredService<CloudDatabase>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await ShowNewAsync(database, cancellationToken);
                await Task.Delay(Interval, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ShowNewAsync(CloudDatabase database, CancellationToken cancellationToken)
    {
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            var alerts = await connection.QueryAsync<(long Id, string Device, string Severity, string State, string Title)>(
                "SELECT id, device, severity, state, title FROM alerts WHERE state <> 'pending' ORDER BY id");
            foreach (var alert in alerts)
            {
                if (_alertStates.GetValueOrDefault(alert.Id) != alert.State)
                {
                    _alertStates[alert.Id] = alert.State;
                    await WriteAsync("ALERT", $"#{alert.Id} {alert.State,-12} {alert.Severity,-8} {alert.Device,-18} {alert.Title}");
                }
            }

            var orders = await connection.QueryAsync<(long Id, string Device, string Team, long? RespondBy, string Title)>(
                "SELECT id, device, COALESCE(team, '') AS team, respond_by, title FROM work_orders WHERE id > @last ORDER BY id", new { last = _lastWorkOrder });
            foreach (var order in orders)
            {
                _lastWorkOrder = order.Id;
                var due = order.RespondBy is { } ms ? $", respond by {DateTimeOffset.FromUnixTimeMilliseconds(ms).ToLocalTime():HH:mm:ss}" : "";
                await WriteAsync("WORK ORDER", $"#{order.Id} for team '{order.Team}'{due}: {order.Device} {order.Title}");
            }
        }

        var notifications = await demo.Notifications.ReadAsync(cancellationToken);
        foreach (var notice in notifications.Skip(_notificationsShown))
        {
            await WriteAsync("NOTIFIED", $"{notice.GetProperty("contact").GetString()}: {notice.GetProperty("subject").GetString()}");
        }

        _notificationsShown = notifications.Count;
    }

    private Task WriteAsync(string what, string text) =>
        output.WriteLineAsync($"  {time.GetLocalNow():HH:mm:ss}  {what,-10}  {text}");
}

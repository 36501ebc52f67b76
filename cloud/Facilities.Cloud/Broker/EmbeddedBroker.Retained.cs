using System.Text.Json;
using System.Threading.Channels;
using Facilities.Telemetry;
using MQTTnet;
using MQTTnet.Server;

namespace Facilities.Cloud.Broker;

internal sealed partial class EmbeddedBroker
{
    private readonly RetainedMessageFile? _retainedFile;

    /// <summary>"Retained messages changed": one pending signal at most, so a burst of changes costs one write.</summary>
    private readonly Channel<bool> _retainedChanged = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private readonly SemaphoreSlim _retainedSaving = new(1, 1);
    private Task _retainedWriter = Task.CompletedTask;

    private async Task<List<MqttApplicationMessage>> LoadRetainedAsync(CancellationToken cancellationToken)
    {
        if (_retainedFile is null)
        {
            return [];
        }

        try
        {
            return await _retainedFile.LoadAsync(cancellationToken);
        }
        catch (JsonException error)
        {
            // Gateways publish their retained status again on their next connection; a broken file must not keep the
            // broker (and with it the cloud) down.
            LogRetainedUnreadable(_logger, _retainedFile.Path, _retainedFile.MoveAside(), error.Message);
            return [];
        }
    }

    /// <summary>Restored messages count against the gateway whose topics they are (its client id is its user name).</summary>
    private void RestoreRetainedQuota(IEnumerable<MqttApplicationMessage> retained)
    {
        foreach (var message in retained)
        {
            var user = Topics.Parse(message.Topic) is { } address ? _policy.GatewayUserOf(address.Site, address.Gateway) : null;
            _retainedQuota.Restore(user ?? RetainedQuota.Unattributed, user ?? RetainedQuota.Unattributed, message.Topic, message.Payload.Length);
        }
    }

    private Task RequestRetainedSave()
    {
        _retainedChanged.Writer.TryWrite(true);
        return Task.CompletedTask;
    }

    private async Task WriteRetainedAsync(CancellationToken cancellationToken)
    {
        await foreach (var _ in _retainedChanged.Reader.ReadAllAsync(cancellationToken))
        {
            if (_server is { IsStarted: true } server)
            {
                await SaveRetainedNowAsync(server, cancellationToken);
            }
        }
    }

    private async Task SaveRetainedNowAsync(MqttServer server, CancellationToken cancellationToken)
    {
        if (_retainedFile is null)
        {
            return;
        }

        await _retainedSaving.WaitAsync(cancellationToken);
        try
        {
            await _retainedFile.SaveAsync(await server.GetRetainedMessagesAsync(), cancellationToken);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            LogRetainedNotSaved(_logger, _retainedFile.Path, error.Message);
        }
        finally
        {
            _retainedSaving.Release();
        }
    }

    [LoggerMessage(EventId = 720, Level = LogLevel.Error, Message = "Retained messages in {Path} are unreadable ({Error}); moved to {Aside}, starting without them")]
    private static partial void LogRetainedUnreadable(ILogger logger, string path, string aside, string error);

    [LoggerMessage(EventId = 721, Level = LogLevel.Error, Message = "Retained messages could not be saved to {Path}: {Error}")]
    private static partial void LogRetainedNotSaved(ILogger logger, string path, string error);
}

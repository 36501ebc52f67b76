using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Facilities.Cloud.Storage;
using Facilities.Telemetry;
using System.Buffers;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Ingestion;

/// <summary>Configuration section <c>Mqtt</c>: the broker the cloud consumes from.</summary>
public sealed record CloudMqttOptions
{
    /// <summary>Never the password: a record would print every property.</summary>
    public override string ToString() => $"Mqtt {{ Host = {Host}, Port = {Port}, Username = {Username} }}";

    /// <summary>Broker host; empty means the embedded broker (section <c>Broker</c>) on loopback.</summary>
    public string? Host { get; init; }

    public int Port { get; init; } = 1883;

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>
    /// Prefix of the consumer sessions' client ids: slot k connects as <c>{ClientId}-slot-{k}</c>. The same on every
    /// instance, because the instances pass the sessions between them. Default: <see cref="SharedGroup"/>, or
    /// <c>facilities-cloud</c> without one.
    /// </summary>
    public string? ClientId { get; init; }

    /// <summary>
    /// Consumer slots: MQTT sessions in the shared group that the instances divide between them (docs/deploy-cloud.md
    /// § Consumer slots). At least the most instances that should consume at once; the same on every instance. Without
    /// a shared group (the embedded broker) there is one.
    /// </summary>
    public int ConsumerSlots { get; init; } = 8;

    /// <summary>
    /// Client ids of sessions the cloud no longer consumes through, to drain and end: each instance's own session of a
    /// version before consumer slots, or the slots above a lowered <see cref="ConsumerSlots"/>. One instance at a time
    /// resumes each, unsubscribes it (the broker routes nothing more to it), handles what was queued in it and, once
    /// all of that is acknowledged and nothing has come for a while, ends the session.
    /// </summary>
    public List<string> RetiredSessions { get; init; } = [];

    /// <summary>
    /// Shared-subscription group: instances in one group split telemetry, events and command results between them.
    /// Retained topics (gateway status, device state) are subscribed without sharing, because brokers do not send
    /// retained messages to shared subscriptions; every instance gets them and the duplicates are dropped by seq.
    /// Empty: plain subscriptions (one instance).
    /// </summary>
    public string SharedGroup { get; init; } = "facilities-cloud";

    /// <summary>
    /// How long connecting may take, CONNACK and the subscriptions included: a broker (or something in its place) that
    /// accepts the TCP connection and never answers would otherwise hold the consumer for ever.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the broker keeps the session (and queues messages) while the cloud is away.</summary>
    public TimeSpan SessionExpiry { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Messages handled in one database transaction at most. A consumer takes what has arrived, up to this, so batches
    /// grow only while messages wait (a backlog). Messages are acknowledged after their batch commits, and the broker
    /// sends no more while <see cref="ReceiveMaximum"/> are unacknowledged: the window holds two batches, the one in its
    /// transaction and the next one arriving.
    /// </summary>
    public int BatchSize { get; init; } = 2000;

    /// <summary>Unacknowledged messages the broker may send at once (MQTT 5 receive maximum): two batches.</summary>
    public ushort ReceiveMaximum => (ushort)Math.Clamp(2 * BatchSize, 1, ushort.MaxValue);

    /// <summary>Section <c>Mqtt:Tls</c>: TLS to a broker on another machine (off by default).</summary>
    public CloudMqttTlsOptions Tls { get; init; } = new();

    /// <summary>Start-up check, before the embedded broker fills in <see cref="Host"/>; each problem names its key.</summary>
    public IReadOnlyList<string> Validate() =>
    [
        .. BrokerTls.Validate(Tls, Host),
        .. ConnectTimeout > TimeSpan.Zero ? Array.Empty<string>() : [$"Mqtt:ConnectTimeout: must be positive, got {ConnectTimeout}"],
        .. ConsumerSlots is >= 1 and <= MaxConsumerSlots ? Array.Empty<string>() : [$"Mqtt:ConsumerSlots: must be between 1 and {MaxConsumerSlots}, got {ConsumerSlots}"],
        .. RetiredSessions.Select((id, i) => (id, i))
            .Where(r => string.IsNullOrWhiteSpace(r.id) || Enumerable.Range(0, Math.Clamp(ConsumerSlots, 1, MaxConsumerSlots)).Any(k => SlotClientId(k) == r.id))
            .Select(r => string.IsNullOrWhiteSpace(r.id)
                ? $"Mqtt:RetiredSessions:{r.i}: empty"
                : $"Mqtt:RetiredSessions:{r.i}: '{r.id}' is the session of a slot in use (Mqtt:ConsumerSlots {ConsumerSlots}); only sessions no longer used may be retired"),
    ];

    internal const int MaxConsumerSlots = 1024;

    /// <summary>The slots in use: one without a shared group, where a second session would receive every message again.</summary>
    internal int Slots => string.IsNullOrEmpty(SharedGroup) ? 1 : ConsumerSlots;

    internal string SessionPrefix => !string.IsNullOrEmpty(ClientId) ? ClientId : !string.IsNullOrEmpty(SharedGroup) ? SharedGroup : "facilities-cloud";

    internal string SlotClientId(int slot) => string.Create(CultureInfo.InvariantCulture, $"{SessionPrefix}-slot-{slot}");
}

/// <summary>
/// Consumes gateway messages with QoS 1 on persistent sessions and acknowledges each one only after its batch
/// committed, so a crash before the commit means the broker delivers it again (and the seq check makes that harmless).
/// The sessions are consumer slots (<see cref="CloudMqttOptions.ConsumerSlots"/>) in the shared group, divided between
/// the live instances by the database (<see cref="ISlotOwnership"/>, <see cref="SlotShare"/>): brokers keep queueing a
/// dead member's share of a shared subscription in its session, so when an instance dies another one takes its slots,
/// connects with their client ids and receives what waited there (the broker disconnects a half-dead former owner).
/// Every slot this instance owns feeds one consumer loop, batch by batch. Each slot reconnects for ever with backoff.
/// </summary>
public sealed partial class MqttIngestor(
    CloudMqttOptions options, IngestPipeline pipeline, IngestMetrics metrics, IngestionHealth health, CloudDatabase database, TimeProvider time, ILogger<MqttIngestor> logger) : BackgroundService
{
    /// <summary>How often an instance compares its slots with its fair share (and notices the dead instances' free slots).</summary>
    private static readonly TimeSpan RebalanceInterval = TimeSpan.FromSeconds(3);

    private readonly Channel<MqttApplicationMessageReceivedEventArgs> _received = Channel.CreateBounded<MqttApplicationMessageReceivedEventArgs>(
        new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly ConcurrentDictionary<int, Slot> _slots = new();

    private int _liveInstances;

    private int _strangers;

    /// <summary>Received from a retired session and not yet acknowledged, per message (empty unless a retired session drains).</summary>
    private readonly ConcurrentDictionary<MqttApplicationMessageReceivedEventArgs, RetiredSessionDrain> _draining = new();

    /// <summary>Draining the retired sessions, while this instance holds <see cref="RetiredSessionsLock"/>.</summary>
    private Task<bool>? _retiring;

    private DateTimeOffset _retireAgainAt = DateTimeOffset.MinValue;

    /// <summary>The lock of the one instance draining the retired sessions: a number past every slot.</summary>
    private const int RetiredSessionsLock = CloudMqttOptions.MaxConsumerSlots;

    /// <summary>A retired session is ended once nothing has arrived or been acknowledged for this long and nothing waits.</summary>
    private static readonly TimeSpan RetireQuiet = TimeSpan.FromSeconds(5);

    /// <summary>Without any arrival or acknowledgement for this long, the drain stops and keeps the session for a later try.</summary>
    private static readonly TimeSpan RetireStuck = TimeSpan.FromSeconds(60);

    /// <summary>Completes once every slot this instance owns has subscribed (tests and start-up logs wait for it).</summary>
    public Task Subscribed => _subscribed.Task;

    /// <summary>This instance owns at least one slot and every slot it owns is connected.</summary>
    public bool Connected => _slots.Values is { Count: > 0 } slots && slots.All(s => s.Connected);

    /// <summary>The slots this instance owns now.</summary>
    public IReadOnlyList<int> OwnedSlots => [.. _slots.Keys.Order()];

    /// <summary>The owned slots connected to the broker now.</summary>
    public int ConnectedSlots => _slots.Values.Count(s => s.Connected);

    /// <summary>Slots in all (<see cref="CloudMqttOptions.ConsumerSlots"/>, or 1 without a shared group).</summary>
    public int TotalSlots => options.Slots;

    /// <summary>Live instances at the last rebalance, this one included.</summary>
    public int LiveInstances => Volatile.Read(ref _liveInstances);

    /// <summary>All filters, for one consumer: the shared ones and the retained ones.</summary>
    public static IReadOnlyList<string> Filters(string sharedGroup) => Filters(sharedGroup, retained: true);

    /// <summary>
    /// A slot's filters. Telemetry, events and command results are shared. Retained topics (gateway status, device state)
    /// cannot be: brokers do not send retained messages to shared subscriptions; slot 0 alone subscribes to them
    /// (<paramref name="retained"/>), so they are received once, and whoever owns slot 0 gets them.
    /// </summary>
    internal static IReadOnlyList<string> Filters(string sharedGroup, bool retained)
    {
        var shared = string.IsNullOrEmpty(sharedGroup) ? string.Empty : $"$share/{sharedGroup}/";
        return
        [
            $"{shared}{Topics.Root}/+/+/devices/+/telemetry",
            $"{shared}{Topics.Root}/+/+/devices/+/events",
            $"{shared}{Topics.Root}/+/+/command-results",
            .. retained ? [$"{Topics.Root}/+/+/devices/+/state", $"{Topics.Root}/+/+/status"] : Array.Empty<string>(),
        ];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var consumer = ConsumeAsync(stoppingToken);
        ISlotOwnership? ownership = null;
        var delay = TimeSpan.FromSeconds(1);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    ownership ??= await OpenOwnershipAsync(stoppingToken);
                    await RebalanceAsync(ownership, stoppingToken);
                    delay = TimeSpan.FromSeconds(1);

                    // Real time, like the reconnect backoff: a test's manual clock must not stop the consumer.
                    await Task.Delay(RebalanceInterval, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception error)
                {
                    // The database cannot say who owns what, and the locks may have gone with the connection: another
                    // instance may be taking these slots over now, so stop consuming through them until they are ours again.
                    LogOwnershipUnknown(logger, error.Message, _slots.Count, delay.TotalSeconds);
                    foreach (var slot in _slots.Keys.ToList())
                    {
                        await StopSlotAsync(slot);
                    }

                    if (ownership is not null)
                    {
                        await ownership.DisposeAsync().AsTask().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        ownership = null;
                    }

                    await Task.Delay(delay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                }
            }
        }
        finally
        {
            // The batch in hand commits and is acknowledged before the sessions close; then the slots are handed back.
            // A retired session being drained is left as it is (its client disconnects without ending it).
            if (_retiring is not null)
            {
                await ((Task)_retiring).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            _received.Writer.TryComplete();
            await consumer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var slot in _slots.Keys.ToList())
            {
                await StopSlotAsync(slot);
                if (ownership is not null)
                {
                    await ownership.ReleaseAsync(slot, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }

            if (ownership is not null)
            {
                await ownership.DisposeAsync().AsTask().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<ISlotOwnership> OpenOwnershipAsync(CancellationToken cancellationToken) =>
        database.Provider == DatabaseProvider.Postgres
            ? await PostgresSlotLocks.OpenAsync(database.ConnectionString, options.SessionPrefix, cancellationToken)
            : new SoleSlotOwnership();

    /// <summary>Gives up the slots above this instance's fair share and takes free ones up to it.</summary>
    private async Task RebalanceAsync(ISlotOwnership ownership, CancellationToken cancellationToken)
    {
        var view = await ownership.ViewAsync(cancellationToken);
        Volatile.Write(ref _liveInstances, Math.Max(1, view.LiveInstances));
        if (view.Strangers != _strangers)
        {
            _strangers = view.Strangers;
            if (view.Strangers > 0)
            {
                LogStrangers(logger, view.Strangers, options.SessionPrefix);
            }
        }

        var moves = SlotShare.Plan(options.Slots, view.LiveInstances, [.. _slots.Keys], view.HeldElsewhere);
        foreach (var number in moves.Release)
        {
            // The session stays on the broker (a plain disconnect keeps it) and collects this slot's share until the
            // next owner resumes it; unacknowledged messages are redelivered to that owner, and the seq check drops
            // the ones already handled here.
            await StopSlotAsync(number);
            await ownership.ReleaseAsync(number, cancellationToken);
            var clientId = options.SlotClientId(number);
            LogSlotReleased(logger, number, clientId, _slots.Count, view.LiveInstances);
        }

        var taken = new List<Slot>();
        foreach (var number in moves.Take)
        {
            if (await ownership.TryTakeAsync(number, cancellationToken))
            {
                var slot = new Slot(number, options.SlotClientId(number), Filters(options.SharedGroup, retained: number == 0));
                _slots[number] = slot;
                taken.Add(slot);
            }
        }

        foreach (var slot in taken)
        {
            LogSlotAcquired(logger, slot.Number, slot.ClientId, _slots.Count, view.LiveInstances);
            slot.Running = RunSlotAsync(slot, cancellationToken);
        }

        await RetireSessionsAsync(ownership, cancellationToken);
        if (_slots.IsEmpty)
        {
            // Nothing to wait for: more instances than slots, or every slot held by others for now.
            _subscribed.TrySetResult();
        }
    }

    /// <summary>Disconnects a slot's client without ending its session (a normal disconnect keeps it on the broker).</summary>
    private async Task StopSlotAsync(int number)
    {
        if (!_slots.TryRemove(number, out var slot))
        {
            return;
        }

        await slot.Stopping.CancelAsync();
        await slot.Running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (slot.Client.IsConnected)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await slot.Client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), limit.Token)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        slot.Connected = false;
        slot.Dispose();
    }

    /// <summary>Keeps one slot's client connected while the slot is owned, with backoff.</summary>
    private async Task RunSlotAsync(Slot slot, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var running = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, slot.Stopping.Token);
        var cancellationToken = running.Token;
        slot.Client.ApplicationMessageReceivedAsync += async e =>
        {
            e.AutoAcknowledge = false;
            await _received.Writer.WriteAsync(e, stoppingToken);
        };
        slot.Client.DisconnectedAsync += e =>
        {
            slot.Connected = false;
            slot.TakenOver |= e.Reason == MqttClientDisconnectReason.SessionTakenOver;
            return Task.CompletedTask;
        };

        var delay = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!slot.Client.IsConnected)
                {
                    if (slot.TakenOver)
                    {
                        // Another client connected with this slot's id while this instance holds the slot. If the
                        // lock was lost (its database connection broke), the next rebalances find out and stop this
                        // slot; until then, taking the session straight back would only bounce it between the two.
                        slot.TakenOver = false;
                        LogSlotTakenOver(logger, slot.Number, slot.ClientId);
                        await Task.Delay(2 * RebalanceInterval, cancellationToken);
                        continue;
                    }

                    await ConnectWithinAsync(slot, cancellationToken);
                    delay = TimeSpan.FromSeconds(1);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception error)
            {
                // One warning per attempt, not one per slot: the others say the same at Debug.
                var reason = Reason(error);
                if (slot.Number == _slots.Keys.DefaultIfEmpty(slot.Number).Min())
                {
                    LogConnectFailed(logger, options.Host ?? "embedded", options.Port, reason, delay.TotalSeconds);
                }
                else
                {
                    LogSlotConnectFailed(logger, options.Host ?? "embedded", options.Port, slot.ClientId, reason, delay.TotalSeconds);
                }

                await Task.Delay(delay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    /// <summary>What to tell the operator: a TLS failure names its setting and file, however deep MQTTnet wrapped it.</summary>
    private static string Reason(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is MqttTlsException tls)
            {
                return $"TLS: {tls.Message}";
            }
        }

        return error.Message;
    }

    /// <summary>Connects within <see cref="CloudMqttOptions.ConnectTimeout"/>, or throws a timeout that says so.</summary>
    private async Task ConnectWithinAsync(Slot slot, CancellationToken stoppingToken)
    {
        using var limit = new CancellationTokenSource(options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, limit.Token);
        try
        {
            await ConnectAsync(slot, linked.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer to CONNECT and SUBSCRIBE within {options.ConnectTimeout.TotalSeconds:0.#} s (Mqtt:ConnectTimeout)");
        }
    }

    private async Task ConnectAsync(Slot slot, CancellationToken cancellationToken)
    {
        var client = slot.Client;
        var host = string.IsNullOrEmpty(options.Host) ? "127.0.0.1" : options.Host;
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, options.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(slot.ClientId)
            .WithCleanStart(slot.Ending)
            .WithSessionExpiryInterval(slot.Ending ? 0 : (uint)options.SessionExpiry.TotalSeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(15))
            .WithReceiveMaximum(options.ReceiveMaximum);
        if (!string.IsNullOrEmpty(options.Username))
        {
            builder.WithCredentials(options.Username, options.Password);
        }

        var tls = options.Tls.Enabled ? new BrokerTls(options.Tls, host, time) : null;
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(BufferedMqttStreamProvider.Apply(builder.Build(), tls), cancellationToken);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested && tls?.RefusedAfterHandshake(error) is { } tlsRefusal)
        {
            throw tlsRefusal;
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            // MQTTnet 5 returns a refusal (bad credentials, a certificate the broker maps to no user) instead of throwing.
            throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode}{(string.IsNullOrEmpty(result.ReasonString) ? "" : $" ({result.ReasonString})")}");
        }

        if (slot.Filters.Count == 0)
        {
            // A retired session: nothing to subscribe to.
            slot.Connected = true;
            LogConnected(logger, options.Host ?? "embedded", options.Port, tls is null ? "plain TCP" : $"TLS, server name {tls.ServerName}", slot.ClientId, result.IsSessionPresent);
            return;
        }

        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in slot.Filters)
        {
            // Once this instance has subscribed this slot, a reconnect asks for retained messages only if the broker
            // lost the subscription (retain handling 1): what was retained is stored already, and sent again it is one
            // message per gateway and device on every network blip. The first subscription of a slot in this process
            // (a start, a slot taken over from another instance) takes them all, in case the database is not the one
            // that stored them (restored from a backup); the seq check drops what it has.
            subscribe.WithTopicFilter(new MqttTopicFilterBuilder()
                .WithTopic(filter)
                .WithAtLeastOnceQoS()
                .WithRetainHandling(slot.Subscribed ? MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly : MqttRetainHandling.SendAtSubscribe)
                .Build());
        }

        // A resumed session keeps its subscriptions; subscribing again is harmless and covers a broker that lost them.
        var granted = await client.SubscribeAsync(subscribe.Build(), cancellationToken);
        var refused = granted.Items.Where(i => i.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2).Select(i => $"{i.TopicFilter.Topic}: {i.ResultCode}").ToList();
        if (refused.Count > 0)
        {
            throw new InvalidOperationException($"the broker refused subscriptions: {string.Join(", ", refused)}");
        }

        slot.Connected = true;
        slot.Subscribed = true;
        LogConnected(logger, options.Host ?? "embedded", options.Port, tls is null ? "plain TCP" : $"TLS, server name {tls.ServerName}", slot.ClientId, result.IsSessionPresent);
        if (_slots.Values.All(s => s.Subscribed))
        {
            _subscribed.TrySetResult();
        }
    }

    /// <summary>Starts draining the retired sessions when no instance does, and hands the lock back when done.</summary>
    private async Task RetireSessionsAsync(ISlotOwnership ownership, CancellationToken cancellationToken)
    {
        if (options.RetiredSessions.Count == 0)
        {
            return;
        }

        if (_retiring is { IsCompleted: true } done)
        {
            _retiring = null;
            await ownership.ReleaseAsync(RetiredSessionsLock, cancellationToken);
            _retireAgainAt = await done.ConfigureAwait(false) ? DateTimeOffset.MaxValue : time.GetUtcNow() + TimeSpan.FromMinutes(1);
        }

        if (_retiring is null && time.GetUtcNow() >= _retireAgainAt && await ownership.TryTakeAsync(RetiredSessionsLock, cancellationToken))
        {
            _retiring = RetireAllAsync(cancellationToken);
        }
    }

    /// <summary>Drains and ends every retired session in turn; false when one of them could not be finished (tried again later).</summary>
    private async Task<bool> RetireAllAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var all = true;
        foreach (var clientId in options.RetiredSessions)
        {
            try
            {
                all &= await RetireAsync(clientId, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception error)
            {
                LogRetireUnfinished(logger, clientId, Reason(error));
                all = false;
            }
        }

        return all;
    }

    /// <summary>
    /// Resumes a retired session, unsubscribes it so the broker routes nothing more to it, feeds what was queued in it to
    /// the consumer, and once all of that is acknowledged and quiet, ends the session (session expiry 0 on DISCONNECT).
    /// Otherwise it disconnects keeping the session, so nothing queued there is lost, and returns false.
    /// </summary>
    private async Task<bool> RetireAsync(string clientId, CancellationToken stoppingToken)
    {
        var drain = new RetiredSessionDrain();
        var slot = new Slot(-1, clientId, []);
        try
        {
            slot.Client.ApplicationMessageReceivedAsync += async e =>
            {
                e.AutoAcknowledge = false;
                drain.Received();
                _draining[e] = drain;
                await _received.Writer.WriteAsync(e, stoppingToken);
            };
            await ConnectWithinAsync(slot, stoppingToken);
            var unsubscribe = new MqttClientUnsubscribeOptionsBuilder();
            foreach (var filter in Filters(options.SharedGroup, retained: true).Union(Filters(string.Empty, retained: true)))
            {
                unsubscribe.WithTopicFilter(filter);
            }

            await slot.Client.UnsubscribeAsync(unsubscribe.Build(), stoppingToken);
            while (true)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
                if (!slot.Client.IsConnected)
                {
                    LogRetireUnfinished(logger, clientId, "the connection closed (another client took the session over?)");
                    return false;
                }

                var (quiet, waiting, received) = drain.Now();
                if (quiet >= RetireQuiet && waiting == 0)
                {
                    // Ended by connecting once more with clean start and no expiry: the broker discards the old session
                    // (empty and unsubscribed by now), and the new one ends with the connection. (MQTTnet does not send
                    // a session expiry of 0 on DISCONNECT, and not every broker honours it there.)
                    await slot.Client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), stoppingToken);
                    using (var ending = new Slot(-1, clientId, []) { Ending = true })
                    {
                        await ConnectWithinAsync(ending, stoppingToken);
                        await ending.Client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), stoppingToken);
                    }

                    LogSessionRetired(logger, clientId, received);
                    return true;
                }

                if (quiet >= RetireStuck)
                {
                    LogRetireUnfinished(logger, clientId, $"{waiting} message(s) not acknowledged for {RetireStuck.TotalSeconds:0} s");
                    return false;
                }
            }
        }
        finally
        {
            if (slot.Client.IsConnected)
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await slot.Client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), limit.Token)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            foreach (var e in _draining.Where(d => d.Value == drain).Select(d => d.Key).ToList())
            {
                _draining.TryRemove(e, out _);
            }

            slot.Dispose();
        }
    }

    /// <summary>What a retired session has delivered and how much of it is acknowledged, and when anything last happened.</summary>
    private sealed class RetiredSessionDrain
    {
        private long _received;
        private long _acknowledged;
        private long _lastActivity = Environment.TickCount64;

        public void Received()
        {
            Interlocked.Increment(ref _received);
            Volatile.Write(ref _lastActivity, Environment.TickCount64);
        }

        public void Acknowledged()
        {
            Interlocked.Increment(ref _acknowledged);
            Volatile.Write(ref _lastActivity, Environment.TickCount64);
        }

        public (TimeSpan Quiet, long Waiting, long Received) Now()
        {
            var received = Interlocked.Read(ref _received);
            return (TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _lastActivity)), received - Interlocked.Read(ref _acknowledged), received);
        }
    }

    /// <summary>One consumer slot this instance owns: its MQTT client and the task that keeps it connected.</summary>
    private sealed class Slot(int number, string clientId, IReadOnlyList<string> filters) : IDisposable
    {
        public int Number { get; } = number;

        public string ClientId { get; } = clientId;

        public IReadOnlyList<string> Filters { get; } = filters;

        public IMqttClient Client { get; } = new MqttClientFactory().CreateMqttClient();

        public CancellationTokenSource Stopping { get; } = new();

        public Task Running { get; set; } = Task.CompletedTask;

        public volatile bool Connected;

        public volatile bool Subscribed;

        public volatile bool TakenOver;

        /// <summary>Connects to end the session: clean start, and no expiry after the connection.</summary>
        public bool Ending { get; init; }

        public void Dispose()
        {
            Client.Dispose();
            Stopping.Dispose();
        }
    }

    private async Task ConsumeAsync(CancellationToken cancellationToken)
    {
        // A batch's acknowledgements go out while the next batch is handled: awaiting them one after another took about
        // 7% of the consumer's time in the ingest benchmark (tests/Facilities.Cloud.Benchmarks). Only one batch's
        // acknowledgements are in flight at a time, and each still follows its own batch's commit.
        var acknowledging = Task.CompletedTask;

        // The next batch is taken and validated (JSON, contract) on the other core while this one's transaction runs;
        // batches are still handled one at a time and in order.
        var next = TakeAsync(Task.CompletedTask, cancellationToken);
        var mark = Stopwatch.GetTimestamp();
        while (await next is { } batch)
        {
            mark = Phase(mark, metrics.Waited);
            var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            next = Task.Run(() => TakeAsync(handled.Task, cancellationToken), cancellationToken);
            health.Waiting();
            for (var delay = TimeSpan.FromSeconds(1); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks)))
            {
                try
                {
                    await pipeline.ProcessAsync(batch.Validated, cancellationToken);
                    health.Stored();
                    handled.TrySetResult();
                    break;
                }
                catch (Exception error) when (!cancellationToken.IsCancellationRequested)
                {
                    // The database is down or refusing: the messages stay unacknowledged (the broker stops sending
                    // once its in-flight window is full) and the batch is tried again until the database is back.
                    LogBatchNotStored(logger, batch.Received.Count, error.Message, delay.TotalSeconds);
                    health.Failed(error.Message);
                    await Task.Delay(delay, cancellationToken);
                }
            }

            mark = Phase(mark, t => metrics.Stored(batch.Received.Count, t));
            await acknowledging;
            mark = Phase(mark, metrics.Acknowledged);
            acknowledging = AcknowledgeAsync(batch.Received, cancellationToken);
        }

        await acknowledging;
    }

    private static long Phase(long since, Action<TimeSpan> record)
    {
        var now = Stopwatch.GetTimestamp();
        record(Stopwatch.GetElapsedTime(since, now));
        return now;
    }

    /// <summary>
    /// What has arrived, up to a batch, validated; null once the channel is closed. Taken at once only when a whole
    /// batch waits, otherwise once <paramref name="previous"/> is handled: taken early, a batch would hold only what
    /// came in the moment after the previous one was taken.
    /// </summary>
    private async Task<ReceivedBatch?> TakeAsync(Task previous, CancellationToken cancellationToken)
    {
        if (!await _received.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        if (_received.Reader.Count < options.BatchSize)
        {
            await previous.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var received = new List<MqttApplicationMessageReceivedEventArgs>(Math.Min(options.BatchSize, _received.Reader.Count));
        while (received.Count < options.BatchSize && _received.Reader.TryRead(out var item))
        {
            received.Add(item);
        }

        var messages = new RawMessage[received.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = new RawMessage(received[i].ApplicationMessage.Topic, received[i].ApplicationMessage.Payload.ToArray());
        }

        return new ReceivedBatch(received, pipeline.Validate(messages));
    }

    private sealed record ReceivedBatch(List<MqttApplicationMessageReceivedEventArgs> Received, ValidatedBatch Validated);

    /// <summary>Stops quietly when the service stops: what is left unacknowledged comes again after the restart, and the seq check drops it.</summary>
    private async Task AcknowledgeAsync(List<MqttApplicationMessageReceivedEventArgs> batch, CancellationToken cancellationToken)
    {
        foreach (var e in batch)
        {
            try
            {
                await e.AcknowledgeAsync(cancellationToken);
                if (!_draining.IsEmpty && _draining.TryRemove(e, out var drain))
                {
                    drain.Acknowledged();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // The connection dropped after the commit: the broker will redeliver, and the seq check drops it.
                LogAckFailed(logger, e.ApplicationMessage.Topic, error.Message);
            }
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Consuming from MQTT broker {Host}:{Port} over {Transport} as {ClientId} (session resumed: {Resumed})")]
    private static partial void LogConnected(ILogger logger, string host, int port, string transport, string clientId, bool resumed);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "MQTT broker {Host}:{Port}: {Error}; retrying in {Seconds} s")]
    private static partial void LogConnectFailed(ILogger logger, string host, int port, string error, double seconds);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "{Count} messages could not be stored ({Error}); unacknowledged, trying again in {Seconds} s")]
    private static partial void LogBatchNotStored(ILogger logger, int count, string error, double seconds);

    [LoggerMessage(EventId = 403, Level = LogLevel.Debug, Message = "Acknowledging {Topic} failed: {Error}")]
    private static partial void LogAckFailed(ILogger logger, string topic, string error);

    [LoggerMessage(EventId = 404, Level = LogLevel.Information, Message = "Consumer slot {Slot} ({ClientId}) acquired; this instance owns {Owned} slot(s), {Live} instance(s) live")]
    private static partial void LogSlotAcquired(ILogger logger, int slot, string clientId, int owned, int live);

    [LoggerMessage(EventId = 405, Level = LogLevel.Information, Message = "Consumer slot {Slot} ({ClientId}) released for another instance (session kept); this instance owns {Owned} slot(s), {Live} instance(s) live")]
    private static partial void LogSlotReleased(ILogger logger, int slot, string clientId, int owned, int live);

    [LoggerMessage(EventId = 406, Level = LogLevel.Error, Message = "Consumer slot ownership unknown ({Error}): stopped consuming through {Count} slot(s); asking the database again in {Seconds} s")]
    private static partial void LogOwnershipUnknown(ILogger logger, string error, int count, double seconds);

    [LoggerMessage(EventId = 407, Level = LogLevel.Warning, Message = "Consumer slot {Slot}: another client took over session {ClientId} while this instance holds the slot (is another cloud using the same Mqtt:ClientId on this broker?)")]
    private static partial void LogSlotTakenOver(ILogger logger, int slot, string clientId);

    [LoggerMessage(EventId = 408, Level = LogLevel.Debug, Message = "MQTT broker {Host}:{Port} ({ClientId}): {Error}; retrying in {Seconds} s")]
    private static partial void LogSlotConnectFailed(ILogger logger, string host, int port, string clientId, string error, double seconds);

    [LoggerMessage(EventId = 409, Level = LogLevel.Warning, Message = "{Count} other cloud instance(s) on this database consume through sessions with another prefix than {Prefix} (Mqtt:ClientId): they do not share consumer slots with this one, so the messages queued for one of them wait until that very instance returns. Give every instance the same Mqtt:ClientId, or leave it unset")]
    private static partial void LogStrangers(ILogger logger, int count, string prefix);

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "Retired session {ClientId} drained ({Count} message(s) handled) and ended on the broker")]
    private static partial void LogSessionRetired(ILogger logger, string clientId, long count);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "Retired session {ClientId} not finished ({Reason}); kept on the broker, trying again in a minute")]
    private static partial void LogRetireUnfinished(ILogger logger, string clientId, string reason);
}

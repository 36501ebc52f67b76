using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Facilities.Cloud.Tests.EndToEnd;
using System.Text.RegularExpressions;
using Dapper;
using Facilities.Cloud.Access;
using Facilities.Cloud.Storage;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>
/// Three cloud instances as processes of their own on one Mosquitto and one PostgreSQL, gateways publishing all along,
/// and one instance killed (SIGKILL): what the broker had queued for its consumer slots must reach the survivors, each
/// message with one effect, and the instance, started again, takes its share of the slots back.
/// </summary>
public sealed partial class NodeLossTests(PostgresFixture postgres)
{
    private const int Slots = 8;
    private const int Gateways = 4;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CloudInstanceKilled_WhileGatewaysPublish_SurvivorsHandleEveryMessageOnceWithin30sAndTheRestartedInstanceTakesItsShareBack()
    {
        // Unlimited queues for offline sessions, as docs/cloud-broker.md configures Mosquitto.
        await using var broker = await MosquittoBroker.StartAsync(Ct, "max_queued_messages 0");
        var (database, storage) = await Databases.CreateAsync("postgres", postgres, Ct);
        await using var databaseScope = database;
        var users = new UserStore(database, new AccessOptions { PasswordIterations = 10_000 }, TimeProvider.System);
        await users.AddAsync("test-admin", "admin", "test-admin-password", Ct);
        var token = (await users.IssueTokenAsync("test-admin", "tests", Ct))!;

        var instances = Enumerable.Range(0, 3).Select(_ => new CloudInstance(storage.ConnectionString, broker.Port, token)).ToList();
        try
        {
            await Task.WhenAll(instances.Select(i => i.StartAsync()));
            await WaitForSlotsAsync(instances, "three instances to share the slots 3/3/2", TimeSpan.FromSeconds(60));

            await using var gateways = await GatewayFleet.ConnectAsync(broker.Port);
            using var publishing = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var stream = gateways.PublishAsync(publishing.Token);
            await UntilAsync(async () => await HandledAsync(database) >= 200, () => "traffic to flow", instances, TimeSpan.FromSeconds(30));

            // The owner of slot 0 (which also carries the retained status and state subscriptions) dies mid-stream.
            var victim = instances.First(i => i.Owns(0));
            var killed = Stopwatch.StartNew();
            await victim.KillAsync();
            await Task.Delay(TimeSpan.FromSeconds(5), Ct); // gateways keep publishing while the slots change hands
            await publishing.CancelAsync();
            await stream;
            var published = gateways.Published;
            Assert.True(published > 400, $"only {published} messages published");

            var survivors = instances.Where(i => i != victim).ToList();
            await UntilAsync(async () => await HandledAsync(database) == published,
                () => $"all {published} messages handled", instances, TimeSpan.FromSeconds(30) - killed.Elapsed, database);
            Assert.True(killed.Elapsed < TimeSpan.FromSeconds(30), $"took {killed.Elapsed.TotalSeconds:0.0} s after the kill");
            await AssertEachMessageHandledOnceAsync(database, gateways);
            await WaitForSlotsAsync(survivors, "the survivors to own 4 slots each", TimeSpan.FromSeconds(20));

            // Back again: it gets its share (2 or 3 of 8 among three), and what the gateways send next still arrives.
            await victim.StartAsync();
            await WaitForSlotsAsync(instances, "the restarted instance to take its share back", TimeSpan.FromSeconds(60));
            Assert.InRange(victim.Owned.Count, 2, 3);
            var before = victim.Accepted;
            await gateways.PublishBurstAsync(50);
            await UntilAsync(async () => await HandledAsync(database) == gateways.Published,
                () => $"all {gateways.Published} messages handled after the restart", instances, TimeSpan.FromSeconds(30), database);
            await AssertEachMessageHandledOnceAsync(database, gateways);
            await UntilAsync(async () => { await victim.RefreshAsync(); return victim.Accepted > before; },
                () => "the restarted instance to handle messages of its slots", instances, TimeSpan.FromSeconds(10));
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task CloudInstance_LockConnectionCut_StopsConsumingUntilItHoldsItsSlotsAgain()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct, "max_queued_messages 0");
        var (database, storage) = await Databases.CreateAsync("postgres", postgres, Ct);
        await using var databaseScope = database;
        var users = new UserStore(database, new AccessOptions { PasswordIterations = 10_000 }, TimeProvider.System);
        await users.AddAsync("test-admin", "admin", "test-admin-password", Ct);
        await using var instance = new CloudInstance(storage.ConnectionString, broker.Port, (await users.IssueTokenAsync("test-admin", "tests", Ct))!);
        await instance.StartAsync();
        await WaitForSlotsAsync([instance], "the instance to own every slot", TimeSpan.FromSeconds(60));

        // The server ends the session holding the locks (as a restart of PostgreSQL or a broken link would): the
        // instance can no longer tell whether another one is taking its slots, so it stops and takes them again.
        await using (var connection = await database.OpenAsync(Ct))
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'facilities-cloud slots' AND datname = current_database()) t",
                cancellationToken: Ct)));
        }

        await UntilAsync(() => Task.FromResult(instance.Logged("Consumer slot ownership unknown")), () => "the instance to stop consuming (event 406)", [instance], TimeSpan.FromSeconds(20));
        await WaitForSlotsAsync([instance], "the instance to own every slot again", TimeSpan.FromSeconds(30));
        await using var gateways = await GatewayFleet.ConnectAsync(broker.Port);
        await gateways.PublishBurstAsync(25);
        await UntilAsync(async () => await HandledAsync(database) == gateways.Published, () => "every message handled", [instance], TimeSpan.FromSeconds(30), database);
    }

    /// <summary>
    /// Waits until every instance answers, they own every slot between them once, each within its fair share
    /// (ceil(slots / instances)) and with every owned slot connected.
    /// </summary>
    private static Task WaitForSlotsAsync(List<CloudInstance> instances, string what, TimeSpan limit) =>
        UntilAsync(async () =>
        {
            foreach (var instance in instances)
            {
                await instance.RefreshAsync();
            }

            var share = (Slots + instances.Count - 1) / instances.Count;
            var owned = instances.SelectMany(i => i.Owned).Order().ToList();
            return owned.SequenceEqual(Enumerable.Range(0, Slots)) && instances.All(i => i.Owned.Count <= share && i.Connected == i.Owned.Count);
        }, () => $"{what} (slots owned: {string.Join(", ", instances.Select(i => $"[{string.Join(' ', i.Owned)}]"))})", instances, limit);

    /// <summary>Polls <paramref name="condition"/> until it holds; past <paramref name="limit"/> fails with what the instances last logged.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, Func<string> what, IEnumerable<CloudInstance> instances, TimeSpan limit, CloudDatabase? database = null)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > limit)
            {
                var handled = database is null ? "" : $", {await HandledAsync(database)} handled";
                Assert.Fail($"waited {limit.TotalSeconds:0.0} s for {what()}{handled}; the instances last logged: {string.Join(" | ", instances.Select(i => i.Tail()))}");
            }

            await Task.Delay(200, Ct);
        }
    }

    /// <summary>Messages handled: the sequence numbers recorded in <c>seen_ranges</c>, all gateways together.</summary>
    private static async Task<long> HandledAsync(CloudDatabase database)
    {
        await using var connection = await database.OpenAsync(Ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT SUM(last_seq - first_seq + 1) FROM seen_ranges WHERE site = @site", new { site = Messages.Site }, cancellationToken: Ct)) ?? 0;
    }

    /// <summary>
    /// Each gateway's numbers 1…n are recorded as exactly one run: none missing, and none handled as new twice (the
    /// record commits with the message's effects, so a second effect would be a second, overlapping run or a count past
    /// n). Nothing was refused either.
    /// </summary>
    private static async Task AssertEachMessageHandledOnceAsync(CloudDatabase database, GatewayFleet gateways)
    {
        await using var connection = await database.OpenAsync(Ct);
        var runs = (await connection.QueryAsync<(string Gateway, long First, long Last)>(new CommandDefinition(
            "SELECT gateway, first_seq, last_seq FROM seen_ranges WHERE site = @site ORDER BY gateway, first_seq", new { site = Messages.Site }, cancellationToken: Ct))).ToList();
        Assert.Equal(gateways.LastSeq.OrderBy(g => g.Key).Select(g => (g.Key, 1L, g.Value)), runs);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM dead_letters", cancellationToken: Ct)));
        Assert.Equal(gateways.LastSeq.Count, await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(DISTINCT device) FROM latest_values WHERE site = @site", new { site = Messages.Site }, cancellationToken: Ct)));
    }

    /// <summary>Gateways publishing telemetry in the contract's format, each with its own client and sequence.</summary>
    private sealed class GatewayFleet : IAsyncDisposable
    {
        private readonly List<(string Name, IMqttClient Client)> _clients;
        private readonly ConcurrentDictionary<string, long> _lastSeq = new();

        private GatewayFleet(List<(string, IMqttClient)> clients) => _clients = clients;

        public ConcurrentDictionary<string, long> LastSeq => _lastSeq;

        public long Published => _lastSeq.Values.Sum();

        public static async Task<GatewayFleet> ConnectAsync(int port)
        {
            var clients = new List<(string, IMqttClient)>();
            for (var g = 0; g < Gateways; g++)
            {
                var name = $"gw-{g}";
                var client = new MqttClientFactory().CreateMqttClient();
                await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
                    .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId($"{Messages.Site}/{name}").Build(), Ct);
                clients.Add((name, client));
            }

            return new GatewayFleet(clients);
        }

        /// <summary>Each gateway publishes a message every 20 ms until <paramref name="cancellationToken"/> is cancelled.</summary>
        public Task PublishAsync(CancellationToken cancellationToken) => Task.WhenAll(_clients.Select(async c =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await PublishOneAsync(c.Name, c.Client);
                await Task.Delay(20, CancellationToken.None);
            }
        }));

        public Task PublishBurstAsync(int each) => Task.WhenAll(_clients.Select(async c =>
        {
            for (var i = 0; i < each; i++)
            {
                await PublishOneAsync(c.Name, c.Client);
            }
        }));

        /// <summary>Publishes the gateway's next number and counts it only once the broker has acknowledged it.</summary>
        private async Task PublishOneAsync(string gateway, IMqttClient client)
        {
            var seq = _lastSeq.GetValueOrDefault(gateway) + 1;
            var message = Messages.Telemetry(seq, DateTimeOffset.UtcNow, $"boiler-{gateway}", "boiler", new Dictionary<string, double> { ["flow_temp"] = seq }, gateway: gateway);
            var result = await client.PublishBinaryAsync(message.Topic, message.Payload.ToArray(), MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Ct);
            Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
            _lastSeq[gateway] = seq;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var (_, client) in _clients)
            {
                await client.DisconnectAsync(cancellationToken: CancellationToken.None);
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// One cloud instance (<see cref="CloudProcess"/>) on PostgreSQL and the broker, with the web port fixed so that it
    /// can be started again after a kill; read through its <c>/metrics</c>.
    /// </summary>
    private sealed partial class CloudInstance(string connectionString, int brokerPort, string token) : IAsyncDisposable
    {
        private readonly int _webPort = FreePort.Next();
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
        private CloudProcess? _process;

        public IReadOnlyList<int> Owned { get; private set; } = [];

        public int Connected { get; private set; }

        public double Accepted { get; private set; }

        public bool Owns(int slot) => Owned.Contains(slot);

        /// <summary>Starts the instance, or starts it again after <see cref="KillAsync"/>, and returns once it listens.</summary>
        public async Task StartAsync()
        {
            if (_process is not null)
            {
                await _process.DisposeAsync();
                _process = null;
            }

            Owned = [];
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            _process = await CloudProcess.StartAsync($"facilities-cloud :{_webPort}", _webPort, new Dictionary<string, string>
            {
                ["Storage:Provider"] = "postgres",
                ["Storage:ConnectionString"] = connectionString,
                ["Mqtt:Host"] = "127.0.0.1",
                ["Mqtt:Port"] = brokerPort.ToString(CultureInfo.InvariantCulture),
                ["Mqtt:ConsumerSlots"] = Slots.ToString(CultureInfo.InvariantCulture),
                ["Broker:Enabled"] = "false",
                ["Influx:Url"] = "",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Facilities.Cloud.Ingestion.MqttIngestor"] = "Information",
            }, Ct);
        }

        /// <summary>SIGKILL: no clean disconnect, no unlock; the operating system closes its sockets.</summary>
        public async Task KillAsync()
        {
            await _process!.KillAsync();
            Owned = [];
            Connected = 0;
        }

        /// <summary>Reads the slot gauges and the accepted counter; an instance not answering (yet) owns nothing.</summary>
        public async Task RefreshAsync()
        {
            if (_process is not { HasExited: false })
            {
                Owned = [];
                return;
            }

            try
            {
                var metrics = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{_webPort}/metrics"), Ct);
                Owned = [.. SlotOwned().Matches(metrics).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order()];
                Connected = (int)Metric(metrics, "facilities_cloud_mqtt_slots_connected");
                Accepted = Metric(metrics, "facilities_cloud_messages_total{outcome=\"accepted\"}");
            }
            catch (HttpRequestException)
            {
                Owned = [];
            }
            catch (TaskCanceledException) when (!Ct.IsCancellationRequested)
            {
                Owned = [];
            }
        }

        public bool Logged(string text) => _process?.Logged(text) ?? false;

        /// <summary>The last lines the process wrote, for a failure message.</summary>
        public string Tail() => $"{_webPort}: {string.Join(" / ", _process?.Output.TakeLast(6) ?? [])}";

        private static double Metric(string metrics, string name)
        {
            var match = Regex.Match(metrics, $"^{Regex.Escape(name)} (\\S+)$", RegexOptions.Multiline);
            Assert.True(match.Success, $"metric {name} missing");
            return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        [GeneratedRegex("^facilities_cloud_mqtt_slot_owned\\{slot=\"(\\d+)\"\\} 1$", RegexOptions.Multiline)]
        private static partial Regex SlotOwned();

        public async ValueTask DisposeAsync()
        {
            if (_process is not null)
            {
                await _process.DisposeAsync();
            }

            _http.Dispose();
        }
    }
}

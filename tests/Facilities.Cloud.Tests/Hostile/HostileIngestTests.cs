using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Facilities.Cloud.Storage;
using Facilities.Cloud.Tests.EndToEnd;
using Facilities.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>
/// Hostile and broken gateway messages replayed through the whole cloud (Mosquitto, the real consumer and pipeline,
/// SQLite and PostgreSQL): each is parked in dead letters with a reason that names what is wrong, and ingestion of
/// everything else goes on.
/// </summary>
public sealed class HostileIngestTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private async Task<(MosquittoBroker Broker, CloudHost Cloud)> StartAsync(string provider, Dictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        settings ??= [];
        if (provider == "postgres")
        {
            settings["Storage:Provider"] = "postgres";
            settings["Storage:ConnectionString"] = await postgres.Server.CreateDatabaseAsync(Ct);
        }

        var broker = await MosquittoBroker.StartAsync(Ct);
        return (broker, await CloudHost.StartAsync(broker.Port, Ct, settings, clock));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task NaNReading_AloneInItsBatch_IsDeadLetteredNamingThePoint_AndLaterMessagesAreStored(string provider)
    {
        var (broker, cloud) = await StartAsync(provider);
        await using var _ = broker;
        await using var __ = cloud;
        using var gateway = await ConnectAsync(broker, "gw-1");

        await PublishAsync(gateway, Topics.Telemetry(Messages.Site, "gw-1", "lift-1"), Telemetry(1, DateTimeOffset.UtcNow, "lift-1", "\"floor\":\"NaN\""));
        var deadLetter = await DeadLetterAsync(cloud, "lift-1/telemetry");
        Assert.Contains("'floor'", deadLetter.Reason, StringComparison.Ordinal);

        await PublishAsync(gateway, Topics.Telemetry(Messages.Site, "gw-1", "lift-1"), Telemetry(2, DateTimeOffset.UtcNow, "lift-1", "\"floor\":4"));
        await Eventually.HoldsAsync(async () => await FloorAsync(cloud, "lift-1") == 4, "lift-1's floor 4 stored after the NaN", Patience, Ct, TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task PoisonBetweenGoodMessagesOfTwoGateways_AllGoodOnesStored_PoisonsDeadLetteredWithTheirReasons(string provider)
    {
        var (broker, cloud) = await StartAsync(provider);
        await using var _ = broker;
        await using var __ = cloud;
        using var east = await ConnectAsync(broker, "gw-1");
        using var west = await ConnectAsync(broker, "gw-2");
        var now = DateTimeOffset.UtcNow.AddSeconds(-30);
        var lift1 = Topics.Telemetry(Messages.Site, "gw-1", "lift-1");
        var lift2 = Topics.Telemetry(Messages.Site, "gw-2", "lift-2");

        for (var seq = 1; seq <= 3; seq++)
        {
            await PublishAsync(east, lift1, Telemetry(seq, now.AddSeconds(seq), "lift-1", $"\"floor\":{seq}"));
            await PublishAsync(west, lift2, Telemetry(seq, now.AddSeconds(seq), "lift-2", $"\"floor\":{10 + seq}"));
        }

        await PublishAsync(east, lift1, Telemetry(4, now.AddSeconds(4), "lift-1", "\"floor\":\"Infinity\""));
        await PublishAsync(west, lift2, Telemetry(4, now.AddYears(70), "lift-2", "\"floor\":99"));
        for (var seq = 5; seq <= 7; seq++)
        {
            await PublishAsync(east, lift1, Telemetry(seq, now.AddSeconds(seq), "lift-1", $"\"floor\":{seq}"));
            await PublishAsync(west, lift2, Telemetry(seq, now.AddSeconds(seq), "lift-2", $"\"floor\":{10 + seq}"));
        }

        await Eventually.HoldsAsync(async () => await FloorAsync(cloud, "lift-1") == 7 && await FloorAsync(cloud, "lift-2") == 17,
            "the last good floors of both gateways stored", Patience, Ct, TimeSpan.FromMilliseconds(100));
        var deadLetters = await DeadLettersAsync(cloud);
        Assert.Equal(2, deadLetters.Count);
        Assert.Contains(deadLetters, d => d.Topic == lift1 && d.Reason.Contains("'floor'", StringComparison.Ordinal) && d.Reason.Contains("not a finite number", StringComparison.Ordinal));
        Assert.Contains(deadLetters, d => d.Topic == lift2 && d.Reason.Contains("field 'ts'", StringComparison.Ordinal) && d.Reason.Contains("Ingestion:MaxClockSkew", StringComparison.Ordinal));
        var ingestion = await GetJsonAsync(cloud, "/api/ingestion");
        Assert.Equal(12, ingestion.GetProperty("accepted").GetInt64());
        Assert.Equal(2, ingestion.GetProperty("deadLettered").GetInt64());
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task InfiniteReading_IsRefused_NoAlertIsRaised_AndTheAlertsApiAnswers(string provider)
    {
        var (broker, cloud) = await StartAsync(provider);
        await using var _ = broker;
        await using var __ = cloud;
        using var gateway = await ConnectAsync(broker, "gw-1");
        var boiler = Topics.Telemetry(Messages.Site, "gw-1", "boiler-1");

        await PublishAsync(gateway, boiler, Telemetry(1, DateTimeOffset.UtcNow, "boiler-1", "\"pressure\":1e309", kind: "boiler"));
        await PublishAsync(gateway, boiler, Telemetry(2, DateTimeOffset.UtcNow, "boiler-1", "\"pressure\":\"Infinity\"", kind: "boiler"));
        await Eventually.HoldsAsync(async () => (await DeadLettersAsync(cloud)).Count == 2, "both infinite readings dead-lettered", Patience, Ct, TimeSpan.FromMilliseconds(100));

        Assert.All(await DeadLettersAsync(cloud), d => Assert.Contains("pressure", d.Reason, StringComparison.Ordinal));
        Assert.Empty((await GetJsonAsync(cloud, "/api/alerts?state=all")).EnumerateArray());
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task NonFiniteValuesStoredByAnOlderVersion_DoNotFailTheApi(string provider)
    {
        var (broker, cloud) = await StartAsync(provider);
        await using var _ = broker;
        await using var __ = cloud;
        using var gateway = await ConnectAsync(broker, "gw-1");
        await PublishAsync(gateway, Topics.Telemetry(Messages.Site, "gw-1", "boiler-1"), Telemetry(1, DateTimeOffset.UtcNow, "boiler-1", "\"pressure\":3.5", kind: "boiler"));
        await Eventually.HoldsAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM alerts") == 1, "the over-pressure alert", Patience, Ct, TimeSpan.FromMilliseconds(100));

        // What a cloud that did not refuse infinities left behind.
        await using (var connection = await cloud.Services.GetRequiredService<CloudDatabase>().OpenAsync(Ct))
        {
            await connection.ExecuteAsync("UPDATE alerts SET value = @infinity", new { infinity = double.PositiveInfinity });
            await connection.ExecuteAsync("UPDATE latest_values SET value = @infinity, prev_value = @infinity", new { infinity = double.NegativeInfinity });
        }

        var alerts = (await GetJsonAsync(cloud, "/api/alerts")).EnumerateArray().ToList();
        var alert = Assert.Single(alerts);
        Assert.Equal(JsonValueKind.Null, alert.GetProperty("value").ValueKind);
        var id = alert.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        var one = await GetJsonAsync(cloud, $"/api/alerts/{id}");
        Assert.Equal(JsonValueKind.Null, (one.TryGetProperty("alert", out var inner) ? inner : one).GetProperty("value").ValueKind);
        await GetJsonAsync(cloud, "/api/overview");
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task FutureTimestamp_IsRefusedNamingTheBound_AndNeverFreezesTheDevice(string provider)
    {
        var (broker, cloud) = await StartAsync(provider);
        await using var _ = broker;
        await using var __ = cloud;
        using var gateway = await ConnectAsync(broker, "gw-1");
        var future = new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero);

        await PublishAsync(gateway, Topics.Events(Messages.Site, "gw-1", "lift-1"), MessageJson.Serialize(
            new EventMessage(Facilities.Telemetry.Schema.Version, 1, future, "lift-1", "elevator", "b01", "fault_code", 1, "trapped-at-floor", 0, "none")));
        var deadLetter = await DeadLetterAsync(cloud, "lift-1/events");
        Assert.Contains("field 'ts' 2099-01-01", deadLetter.Reason, StringComparison.Ordinal);
        Assert.Contains("Ingestion:MaxClockSkew", deadLetter.Reason, StringComparison.Ordinal);

        await PublishAsync(gateway, Topics.Telemetry(Messages.Site, "gw-1", "lift-1"), Telemetry(2, DateTimeOffset.UtcNow, "lift-1", "\"floor\":5,\"fault_code\":0"));
        await Eventually.HoldsAsync(async () => await FloorAsync(cloud, "lift-1") == 5, "the real floor stored", Patience, Ct, TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM alerts"));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task ImplausibleSequenceNumbers_AreRefused_AndNoBillionsAreReportedMissing(string provider)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var (broker, cloud) = await StartAsync(provider, new() { ["Ingestion:MaxSeqJump"] = "1000" }, clock);
        await using var _ = broker;
        await using var __ = cloud;
        using var east = await ConnectAsync(broker, "gw-1");
        using var west = await ConnectAsync(broker, "gw-2");
        var lift1 = Topics.Telemetry(Messages.Site, "gw-1", "lift-1");
        var lift2 = Topics.Telemetry(Messages.Site, "gw-2", "lift-2");

        await PublishAsync(east, lift1, Telemetry(1, clock.GetUtcNow(), "lift-1", "\"floor\":1"));
        await Eventually.HoldsAsync(async () => await FloorAsync(cloud, "lift-1") == 1, "gw-1's first message", Patience, Ct, TimeSpan.FromMilliseconds(100));
        await PublishAsync(east, lift1, Telemetry(long.MaxValue, clock.GetUtcNow(), "lift-1", "\"floor\":2"));
        await PublishAsync(east, lift1, Telemetry(5000, clock.GetUtcNow(), "lift-1", "\"floor\":3"));
        await PublishAsync(east, lift1, Telemetry(3, clock.GetUtcNow(), "lift-1", "\"floor\":4"));

        // A gateway never heard before has no highest number to jump from: its first one is taken, and the gap a forged
        // first number leaves counts at most MaxSeqJump.
        await PublishAsync(west, lift2, Telemetry(9_000_000_000_000_000, clock.GetUtcNow(), "lift-2", "\"floor\":1"));
        await Eventually.HoldsAsync(async () => await FloorAsync(cloud, "lift-2") == 1, "gw-2's first message", Patience, Ct, TimeSpan.FromMilliseconds(100));
        await PublishAsync(west, lift2, Telemetry(1, clock.GetUtcNow(), "lift-2", "\"floor\":2"));

        await Eventually.HoldsAsync(async () => await FloorAsync(cloud, "lift-1") == 4 && await cloud.CountAsync("SELECT COUNT(*) FROM dead_letters") == 2,
            "gw-1's good numbers stored and two refused", Patience, Ct, TimeSpan.FromMilliseconds(100));
        var reasons = (await DeadLettersAsync(cloud)).Select(d => d.Reason).ToList();
        Assert.Contains(reasons, r => r.Contains("field 'seq' 9223372036854775807", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("field 'seq' 5000", StringComparison.Ordinal) && r.Contains("Ingestion:MaxSeqJump", StringComparison.Ordinal));
        await Eventually.HoldsAsync(async () => await cloud.CountAsync("SELECT COUNT(*) FROM seen_ranges WHERE gateway = 'gw-2'") == 2, "gw-2's two numbers", Patience, Ct, TimeSpan.FromMilliseconds(100));

        clock.Advance(TimeSpan.FromMinutes(1)); // gaps count once they have settled
        var gaps = (await GetJsonAsync(cloud, "/api/ingestion")).GetProperty("gaps").EnumerateArray().ToDictionary(g => g.GetProperty("gateway").GetString()!, g => g.GetProperty("missing").GetInt64());
        Assert.Equal(1, gaps["gw-1"]); // seq 2
        Assert.Equal(1000, gaps["gw-2"]);
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task MessagesBeyondTheLimits_AreDeadLetteredNamingTheLimit_AndTheNextIsStored(string provider)
    {
        var (broker, cloud) = await StartAsync(provider, new() { ["Ingestion:MaxPoints"] = "5" });
        await using var _ = broker;
        await using var __ = cloud;
        using var gateway = await ConnectAsync(broker, "gw-1");
        var topic = Topics.Telemetry(Messages.Site, "gw-1", "lift-1");
        var now = DateTimeOffset.UtcNow;

        await PublishAsync(gateway, topic, Telemetry(1, now, "lift-1", string.Join(",", Enumerable.Range(0, 6).Select(i => $"\"p{i}\":{i}"))));
        await PublishAsync(gateway, topic, Telemetry(2, now, "lift-1", $"\"{new string('n', 200)}\":1"));
        await PublishAsync(gateway, topic, Telemetry(3, now, "lift-1", $"\"floor\":1,\"padding\":\"{new string('x', 200 * 1024)}\""));
        await PublishAsync(gateway, topic, Telemetry(4, DateTimeOffset.MinValue, "lift-1", "\"floor\":1"));
        await PublishAsync(gateway, topic, Telemetry(5, now, "lift-1", "\"floor\":6"));

        await Eventually.HoldsAsync(async () => await FloorAsync(cloud, "lift-1") == 6 && await cloud.CountAsync("SELECT COUNT(*) FROM dead_letters") == 4,
            "four refused, the fifth stored", Patience, Ct, TimeSpan.FromMilliseconds(100));
        var reasons = (await DeadLettersAsync(cloud)).Select(d => d.Reason).ToList();
        foreach (var limit in new[] { "Ingestion:MaxPoints", "Ingestion:MaxPointNameLength", "Ingestion:MaxPayloadBytes", "Ingestion:MaxAge" })
        {
            Assert.Contains(reasons, r => r.Contains(limit, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(reasons, r => r.Contains("missing", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Databases.Providers), MemberType = typeof(Databases))]
    public async Task StoreBlocked_HealthzAnswers503WithAReason_UntilIngestionAdvances(string provider)
    {
        var (broker, cloud) = await StartAsync(provider, new() { ["Ingestion:StallWindow"] = "00:00:02" });
        await using var _ = broker;
        await using var __ = cloud;
        using var gateway = await ConnectAsync(broker, "gw-1");
        var topic = Topics.Telemetry(Messages.Site, "gw-1", "lift-1");
        await PublishAsync(gateway, topic, Telemetry(1, DateTimeOffset.UtcNow, "lift-1", "\"floor\":1"));
        await Eventually.HoldsAsync(async () => await FloorAsync(cloud, "lift-1") == 1, "the first message stored", Patience, Ct, TimeSpan.FromMilliseconds(100));
        Assert.Equal(HttpStatusCode.OK, (await cloud.Anonymous.GetAsync(new Uri("/healthz", UriKind.Relative), Ct)).StatusCode);

        await using (var blocker = await cloud.Services.GetRequiredService<CloudDatabase>().OpenAsync(Ct))
        {
            // Another writer holds the database (SQLite) or the table of handled numbers (PostgreSQL).
            await blocker.ExecuteAsync(provider == "postgres" ? "BEGIN; LOCK TABLE seen_ranges IN ACCESS EXCLUSIVE MODE" : "BEGIN EXCLUSIVE");
            await PublishAsync(gateway, topic, Telemetry(2, DateTimeOffset.UtcNow, "lift-1", "\"floor\":2"));

            string? reason = null;
            await Eventually.HoldsAsync(async () =>
            {
                using var response = await cloud.Anonymous.GetAsync(new Uri("/healthz", UriKind.Relative), Ct);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    return false;
                }

                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
                Assert.Equal("unhealthy", body.GetProperty("status").GetString());
                reason = body.GetProperty("reason").GetString();
                return true;
            }, "/healthz to answer 503 while the store is blocked", Patience, Ct, TimeSpan.FromMilliseconds(200));
            Assert.Contains("ingestion stalled", reason, StringComparison.Ordinal);
            if (provider == "postgres")
            {
                // SQLite's whole file is locked: signing in with the API token cannot read it, so /metrics waits for the release.
                Assert.Contains("facilities_cloud_ingestion_stalled 1", await MetricsAsync(cloud), StringComparison.Ordinal);
            }

            await blocker.ExecuteAsync("ROLLBACK");
        }

        await Eventually.HoldsAsync(async () => await FloorAsync(cloud, "lift-1") == 2, "the waiting message stored once the store is free", Patience, Ct, TimeSpan.FromMilliseconds(100));
        await Eventually.HoldsAsync(async () => (await cloud.Anonymous.GetAsync(new Uri("/healthz", UriKind.Relative), Ct)).StatusCode == HttpStatusCode.OK,
            "/healthz back to 200", Patience, Ct, TimeSpan.FromMilliseconds(100));
        Assert.Contains("facilities_cloud_ingestion_stalled 0", await MetricsAsync(cloud), StringComparison.Ordinal);
    }

    private static byte[] Telemetry(long seq, DateTimeOffset ts, string device, string values, string kind = "elevator") =>
        Encoding.UTF8.GetBytes($$"""{"schema":1,"seq":{{seq}},"ts":"{{Iso(ts)}}","device":"{{device}}","kind":"{{kind}}","building":"b01","values":""" + "{" + values + "}}");

    private static string Iso(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static async Task<IMqttClient> ConnectAsync(MosquittoBroker broker, string gateway)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId($"hostile-{gateway}-{Guid.NewGuid():N}")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build(), Ct);
        return client;
    }

    private static async Task PublishAsync(IMqttClient client, string topic, byte[] payload) =>
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), Ct);

    private static async Task<double?> FloorAsync(CloudHost cloud, string device)
    {
        await using var connection = await cloud.Services.GetRequiredService<CloudDatabase>().OpenAsync(Ct);
        return await connection.ExecuteScalarAsync<double?>("SELECT value FROM latest_values WHERE device = @device AND point = 'floor'", new { device });
    }

    private static async Task<List<(string Topic, string Reason)>> DeadLettersAsync(CloudHost cloud) =>
        [.. (await GetJsonAsync(cloud, "/api/dead-letters")).EnumerateArray().Select(d => (d.GetProperty("topic").GetString()!, d.GetProperty("reason").GetString()!))];

    private static async Task<(string Topic, string Reason)> DeadLetterAsync(CloudHost cloud, string topicEnd)
    {
        (string Topic, string Reason)? found = null;
        await Eventually.HoldsAsync(async () =>
        {
            found = (await DeadLettersAsync(cloud)).FirstOrDefault(d => d.Topic.EndsWith(topicEnd, StringComparison.Ordinal));
            return found is { Topic: not null };
        }, $"a dead letter on …{topicEnd}", Patience, Ct, TimeSpan.FromMilliseconds(100));
        return found!.Value;
    }

    private static async Task<string> MetricsAsync(CloudHost cloud)
    {
        using var response = await cloud.Http.GetAsync(new Uri("/metrics", UriKind.Relative), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"/metrics: {(int)response.StatusCode} {text}");
        return text;
    }

    private static async Task<JsonElement> GetJsonAsync(CloudHost cloud, string path)
    {
        using var response = await cloud.Http.GetAsync(new Uri(path, UriKind.Relative), Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
    }
}

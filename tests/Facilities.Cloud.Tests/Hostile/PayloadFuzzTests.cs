using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Storage;
using Facilities.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>
/// Seeded random mutations of valid payloads through the ingest path's parse step (<see cref="IngestPipeline.Validate"/>,
/// which runs <see cref="MessageValidator"/>): every message ends as an envelope, a rejection, or ignored (commands);
/// nothing throws, and nothing accepted carries a value the store or the API cannot hold.
/// </summary>
public sealed class PayloadFuzzTests
{
    private const int Cases = 100_000;
    private const int Seed = 17_2026;
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private static readonly string[] Templates =
    [
        Payload(Topics.Telemetry("estate", "gw-1", "lift-1"), """{"schema":1,"seq":48213,"ts":"2026-11-22T07:59:02.114+00:00","device":"lift-1","kind":"elevator","building":"b03","values":{"floor":7,"speed":1.75,"trips":250312,"door_state":0},"labels":{"door_state":"closed"},"heartbeat":true}"""),
        Payload(Topics.Events("estate", "gw-1", "lift-1"), """{"schema":1,"seq":48214,"ts":"2026-11-22T07:59:03.120+00:00","device":"lift-1","kind":"elevator","building":"b03","point":"fault_code","value":1,"label":"trapped-at-floor","previous":0,"previousLabel":"none"}"""),
        Payload(Topics.DeviceState("estate", "gw-1", "lift-1"), """{"schema":1,"seq":48300,"ts":"2026-11-22T07:58:00Z","device":"lift-1","kind":"elevator","building":"b03","state":"offline","reason":"no response"}"""),
        Payload(Topics.GatewayStatus("estate", "gw-1"), """{"schema":1,"seq":1,"ts":"2026-11-22T07:58:00Z","gateway":"gw-1","state":"online","version":"1.0","devices":28,"devicesOnline":27,"outboxDepth":0,"outboxDropped":0}"""),
        Payload(Topics.CommandResults("estate", "gw-1"), """{"schema":1,"seq":48410,"ts":"2026-11-22T07:59:00Z","id":"c-1","device":"shed-2","point":"port_3_enabled","success":false,"error":"refused"}"""),
    ];

    /// <summary>Over the payload limit alone (refused unparsed), and long but inside it.</summary>
    private static readonly string HugeString = new('x', 140 * 1024), LongString = new('\u00e9', 5000);

    private static readonly string[] OtherTopics =
    [
        Topics.Commands("estate", "gw-1"), "facilities/v1/estate/gw-1/devices/lift-1/unknown", "facilities/v1/ESTATE/gw-1/status", "", "#", "facilities/v1/+/+/status",
        "facilities/v1/estate/gw-1/devices/" + new string('a', 70) + "/telemetry", "facilities/v1/estate/gw\u0000/status", "facilities/v1/estate/gw-1/devices/lift-1/telemetry/extra",
    ];

    private static readonly Func<Random, JsonNode?>[] Hostile =
    [
        _ => JsonValue.Create("NaN"), _ => JsonValue.Create("Infinity"), _ => JsonValue.Create("-Infinity"), _ => JsonValue.Create("nan"),
        _ => JsonNode.Parse("1e309"), _ => JsonNode.Parse("-1e309"), _ => JsonNode.Parse("1e-400"), _ => JsonNode.Parse("9223372036854775808"),
        _ => JsonNode.Parse("-9223372036854775809"), _ => JsonValue.Create(long.MaxValue), _ => JsonValue.Create(long.MinValue), _ => JsonValue.Create(0),
        _ => JsonValue.Create(-1), _ => JsonValue.Create(double.MaxValue), _ => JsonValue.Create(true), _ => null, _ => new JsonArray(1, 2, 3), _ => new JsonObject(),
        _ => JsonValue.Create("0001-01-01T00:00:00Z"), _ => JsonValue.Create("9999-12-31T23:59:59-05:00"), _ => JsonValue.Create("0001-01-01T00:00:00+14:00"),
        _ => JsonValue.Create("2099-01-01T00:00:00Z"), _ => JsonValue.Create("not a date"), _ => JsonValue.Create(""),
        _ => JsonValue.Create("\u202e\ud83d\ude00\u0000\uffff"), _ => JsonValue.Create("\ud800"), r => JsonValue.Create(r.Next(20) == 0 ? HugeString : LongString),
        r => JsonValue.Create(r.NextDouble() * Math.Pow(10, r.Next(-320, 309))),
    ];

    [Fact]
    public void Validate_RandomisedHostilePayloads_OnlyEnvelopesOrRejections_NeverAnException()
    {
        var pipeline = new IngestPipeline(
            CloudDatabase.Create(new StorageOptions { Provider = "sqlite", ConnectionString = "Data Source=never-opened.db" }),
            [], new IngestMetrics(), new ManualClock(Now), NullLogger<IngestPipeline>.Instance, IngestionOptions.Default);
        var random = new Random(Seed);
        var watch = Stopwatch.StartNew();
        var (accepted, refused, ignored) = (0, 0, 0);
        var batch = new List<RawMessage>(1000);
        for (var i = 0; i < Cases; i++)
        {
            batch.Add(Mutate(random));
            if (batch.Count < 1000 && i < Cases - 1)
            {
                continue;
            }

            var validated = pipeline.Validate(batch);
            foreach (var (raw, (envelope, rejection)) in validated.Messages)
            {
                if (envelope is not null)
                {
                    Assert.Null(rejection);
                    AssertStorable(raw, envelope);
                    accepted++;
                }
                else if (rejection is not null)
                {
                    Assert.False(string.IsNullOrWhiteSpace(rejection.Reason));
                    refused++;
                }
                else
                {
                    Assert.Equal(TopicKind.Command, Topics.Parse(raw.Topic)?.Kind);
                    ignored++;
                }
            }

            batch.Clear();
        }

        Assert.Equal(Cases, accepted + refused + ignored);
        Assert.True(accepted > Cases / 20, $"only {accepted} mutated payloads were still valid: the fuzzer barely reaches the checks after parsing");
        Assert.True(refused > Cases / 2, $"only {refused} refusals");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"{Cases} cases took {watch.Elapsed}");
    }

    /// <summary>What the store and the API need of an accepted message: finite numbers, a sample time in the window, a sane seq.</summary>
    private static void AssertStorable(RawMessage raw, Envelope envelope)
    {
        var message = envelope.Message;
        Assert.True(message.Seq is > 0 and <= IngestionOptions.MaxSeq || message is GatewayStatusMessage { Seq: 0 }, $"seq {message.Seq} accepted: {raw.Topic}");
        Assert.True(message.Ts <= Now + IngestionOptions.Default.MaxClockSkew, $"ts {message.Ts:O} accepted: {raw.Topic}");
        Assert.True(message.Ts >= Now - IngestionOptions.Default.MaxRetainedAge, $"ts {message.Ts:O} accepted: {raw.Topic}");
        switch (message)
        {
            case TelemetryMessage t:
                Assert.True(message.Ts >= Now - IngestionOptions.Default.MaxAge);
                Assert.InRange(t.Values.Count, 0, IngestionOptions.Default.MaxPoints);
                Assert.All(t.Values, v => Assert.True(double.IsFinite(v.Value) && v.Key.Length is > 0 and <= 128, $"{v.Key}={v.Value} accepted"));
                break;
            case EventMessage e:
                Assert.True(double.IsFinite(e.Value) && (e.Previous is null || double.IsFinite(e.Previous.Value)), $"event value {e.Value} accepted");
                break;
        }
    }

    private static RawMessage Mutate(Random random)
    {
        if (random.Next(40) == 0)
        {
            return new RawMessage(OtherTopics[random.Next(OtherTopics.Length)], Encoding.UTF8.GetBytes(Templates[random.Next(Templates.Length)].Split('\n')[1]));
        }

        var template = Templates[random.Next(Templates.Length)].Split('\n');
        var (topic, json) = (template[0], template[1]);
        return random.Next(10) switch
        {
            0 => new RawMessage(topic, Bytes(random, json)),
            1 => new RawMessage(topic, Encoding.UTF8.GetBytes(Nested(random, json))),
            2 => new RawMessage(topic, Encoding.UTF8.GetBytes(json.Insert(1, "\"seq\":1,"))), // duplicate property
            _ => new RawMessage(topic, Encoding.UTF8.GetBytes(Structured(random, json))),
        };
    }

    /// <summary>One to three changes to the object: a field replaced by a hostile value, removed, or added; a point added.</summary>
    private static string Structured(Random random, string json)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        for (var changes = random.Next(1, 4); changes > 0; changes--)
        {
            var names = root.Select(p => p.Key).ToList();
            var hostile = Hostile[random.Next(Hostile.Length)](random);
            switch (random.Next(5))
            {
                case 0 when names.Count > 0:
                    root.Remove(names[random.Next(names.Count)]);
                    break;
                case 1:
                    root["x" + random.Next(1000)] = hostile;
                    break;
                case 2 when root["values"] is JsonObject values:
                    var name = random.Next(4) switch
                    {
                        0 => new string('p', random.Next(100, 300)),
                        1 => "",
                        2 => "\ud83d\ude00\u0000",
                        _ => "p" + random.Next(2000),
                    };
                    values[name] = random.Next(3) == 0 ? hostile : JsonValue.Create(random.NextDouble());
                    if (random.Next(50) == 0)
                    {
                        for (var i = 0; i < 1100; i++)
                        {
                            values["bulk" + i] = i;
                        }
                    }

                    break;
                default:
                    if (names.Count > 0)
                    {
                        root[names[random.Next(names.Count)]] = hostile;
                    }

                    break;
            }
        }

        return root.ToJsonString();
    }

    /// <summary>Raw damage: truncated, bytes flipped, invalid UTF-8 inserted.</summary>
    private static byte[] Bytes(Random random, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        switch (random.Next(3))
        {
            case 0:
                return bytes[..random.Next(bytes.Length)];
            case 1:
                for (var i = random.Next(1, 5); i > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            default:
                var at = random.Next(bytes.Length);
                return [.. bytes[..at], 0xC3, 0x28, 0xFF, .. bytes[at..]];
        }
    }

    /// <summary>A field's value replaced by arrays or objects nested deeper than any parser should follow.</summary>
    private static string Nested(Random random, string json)
    {
        var depth = random.Next(10, 2000);
        var (open, close) = random.Next(2) == 0 ? ("[", "]") : ("{\"a\":", "}");
        var nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        var field = random.Next(3) switch { 0 => "\"values\":", 1 => "\"seq\":", _ => "\"ts\":" };
        var at = json.IndexOf(field, StringComparison.Ordinal);
        return at < 0 ? json.Insert(1, "\"deep\":" + nested + ",") : json.Insert(at + field.Length, nested + ",\"ignored\":");
    }

    private static string Payload(string topic, string json) => topic + "\n" + json;
}

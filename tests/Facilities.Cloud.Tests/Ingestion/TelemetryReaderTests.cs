using System.Text;
using Facilities.Cloud.Ingestion;
using Facilities.Telemetry;

namespace Facilities.Cloud.Tests.Ingestion;

/// <summary>The telemetry fast path reads what gateways write exactly as the serializer does, and gives up on everything else.</summary>
public sealed class TelemetryReaderTests
{
    private static readonly DateTimeOffset Ts = new(2026, 11, 22, 8, 0, 0, 123, TimeSpan.Zero);

    public static TheoryData<string> Written()
    {
        var random = new Random(16);
        var data = new TheoryData<string>();
        for (var i = 0; i < 40; i++)
        {
            var values = Enumerable.Range(0, random.Next(0, 12)).ToDictionary(p => $"point_{p}", _ => Math.Round((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 9)), random.Next(0, 6)));
            Dictionary<string, string>? labels = i % 3 == 0 ? new() { ["fault_code"] = "trapped-at-floor", ["mode"] = "检修 \"inspection\"\n" } : null;
            var message = new TelemetryMessage(Schema.Version, random.NextInt64(1, 1L << 53), Ts.AddMilliseconds(random.Next()), $"lift-{i}", "elevator", i % 2 == 0 ? "b01" : "楼栋 2", values, labels, i % 4 == 0);
            data.Add(Encoding.UTF8.GetString(MessageJson.Serialize(message)));
        }

        data.Add("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00+08:00","device":"lift-1","kind":"elevator","building":"b01","values":{"floor":3,"load":-0.0,"big":1.7976931348623157E+308}}""");
        data.Add(" {\"schema\":1,\"seq\":5,\"ts\":\"2026-11-22T08:00:00Z\",\"device\":\"lift-1\",\"kind\":\"elevator\",\"building\":\"b01\",\"values\":{},\"heartbeat\":false} \n");
        return data;
    }

    [Theory]
    [MemberData(nameof(Written))]
    public void TryRead_WhatGatewaysWrite_SameAsTheSerializer(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var fast = TelemetryReader.TryRead(bytes);
        var slow = MessageJson.Deserialize<TelemetryMessage>(bytes)!;
        Assert.NotNull(fast);
        Assert.Equal((slow.Schema, slow.Seq, slow.Ts, slow.Ts.Offset, slow.Device, slow.Kind, slow.Building, slow.Heartbeat),
            (fast.Schema, fast.Seq, fast.Ts, fast.Ts.Offset, fast.Device, fast.Kind, fast.Building, fast.Heartbeat));
        Assert.Equal(slow.Values.ToList(), fast.Values.ToList());
        Assert.Equal(slow.Labels?.ToList(), fast.Labels?.ToList());
    }

    [Theory]
    [InlineData("""{"Schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{}}""")] // another spelling
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{},"extra":1}""")]
    [InlineData("""{"schema":1,"seq":5,"seq":6,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{}}""")]
    [InlineData("""{"schema":1,"seq":"5","ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{}}""")]
    [InlineData("""{"schema":1.5,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{}}""")]
    [InlineData("""{"schema":1,"seq":5,"ts":"yesterday","device":"d","kind":"k","building":"b","values":{}}""")]
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":null,"kind":"k","building":"b","values":{}}""")]
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","kind":"k","building":"b","values":{}}""")] // no device
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{"a":1,"a":2}}""")]
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{"a":1e999}}""")]
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{"a":{"b":1}}}""")]
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{},"labels":null}""")]
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{}} {}""")]
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"d","kind":"k","building":"b","values":{}""")]
    [InlineData("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","dev\u0069ce":"d","kind":"k","building":"b","values":{}}""")]
    [InlineData("null")]
    [InlineData("[1,2]")]
    [InlineData("")]
    public void TryRead_AnythingElse_GivesUp(string json) => Assert.Null(TelemetryReader.TryRead(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void TryRead_InvalidUtf8InAString_GivesUp()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"schema":1,"seq":5,"ts":"2026-11-22T08:00:00Z","device":"dX","kind":"k","building":"b","values":{}}""");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xC3; // a lead byte with no continuation
        Assert.Null(TelemetryReader.TryRead(bytes));
    }
}

using System.Globalization;
using Facilities.Cloud.TelemetryStore;
using InfluxDB.Client;
using InfluxDB.Client.Writes;
using static Facilities.Cloud.Tests.TelemetryStore.InfluxTesting;
using Field = Facilities.Cloud.TelemetryStore.Field;
using WritePrecision = InfluxDB.Client.Api.Domain.WritePrecision;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>
/// The official InfluxDB.Client (5.1.0) as the reference for what our own writer produces (docs/decisions.md): the
/// same points must give byte-identical line protocol, and our v2 write request must be the client's. Where the two
/// differ, the line protocol reference decides, and each difference has its own test saying why ours stands.
/// Our points have float and string fields only — every numeric field is a float so a field's type never depends on
/// the first value that arrives — so the client's integer (<c>20i</c>) and boolean fields have no counterpart here.
/// The client sorts fields by ordinal key and we keep the order given; the cases give fields in that order (field order means
/// nothing to InfluxDB).
/// </summary>
public sealed class InfluxClientOracleTests(InfluxFixture influx) : IClassFixture<InfluxFixture>
{
    private static readonly DateTimeOffset Time = DateTimeOffset.FromUnixTimeMilliseconds(1_795_335_302_114);
    private readonly CancellationToken _cancellation = TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, LinePoint> Cases = new(StringComparer.Ordinal)
    {
        ["plain"] = new("elevator", [new("site", "estate-a"), new("device", "lift-1")], [Field.OfNumber("floor", 7), Field.OfNumber("speed", 1.75)], Time),
        ["measurement with space, comma, equals, quote"] = new("boiler room, \"north\"=1", [], [Field.OfNumber("v", 1)], Time),
        ["tag keys and values with space, comma, equals, quote"] = new("m", [new("k,e y=\"", "v, a=l \"x\"")], [Field.OfNumber("v", 1)], Time),
        ["field key with space, comma, equals, quote"] = new("m", [], [Field.OfNumber("f,i=e ld\"", 1)], Time),
        ["string field with quotes, backslashes, commas, equals, spaces"] = new("m", [], [Field.OfText("label", "say \"hi\" C:\\path\\ a, b=c")], Time),
        ["string field that is only a backslash"] = new("m", [], [Field.OfText("s", "\\")], Time),
        ["unicode everywhere"] = new("锅炉 温度", [new("bâtiment", "b03 é")], [Field.OfNumber("température", 51.4), Field.OfText("état", "🔥 chaud")], Time),
        ["empty and null tag values left out, tags sorted"] = new("m", [new("b", ""), new("a", "1"), new("c", null), new("B", "2")], [Field.OfNumber("v", 1)], Time),
        ["non-finite fields left out"] = new("m", [], [Field.OfNumber("inf", double.PositiveInfinity), Field.OfNumber("nan", double.NaN), Field.OfNumber("ok", 2)], Time),
        ["integral float without i suffix"] = new("m", [], [Field.OfNumber("trips", 250312), Field.OfNumber("zero", 0)], Time),
        ["before 1970"] = new("m", [], [Field.OfNumber("v", 1)], DateTimeOffset.FromUnixTimeMilliseconds(-1500)),
        ["the epoch"] = new("m", [], [Field.OfNumber("v", 1)], DateTimeOffset.UnixEpoch),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    public static TheoryData<double> Floats =>
    [
        5, -0.5, 0.1, 51.4, -51.4, 1.75, 1e20, 1.5e-7, 1e15, 1e16, 123456789012345680, double.MaxValue, double.Epsilon, -0.0, 0.1 + 0.2,
    ];

    /// <summary>The same point as the client builds it, at our precision (milliseconds).</summary>
    private static string Theirs(LinePoint point)
    {
        var data = PointData.Measurement(point.Measurement);
        foreach (var tag in point.Tags)
        {
            data = data.Tag(tag.Key, tag.Value);
        }

        foreach (var field in point.Fields)
        {
            data = field.Text is null ? data.Field(field.Key, field.Number) : data.Field(field.Key, field.Text);
        }

        return data.Timestamp(point.Time, WritePrecision.Ms).ToLineProtocol();
    }

    private static string Ours(LinePoint point) => LineProtocol.Format(point) ?? throw new InvalidOperationException("no line");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void LineProtocol_SamePoint_ByteIdenticalToTheClients(string name) =>
        Assert.Equal(Theirs(Cases[name]), Ours(Cases[name]));

    [Theory]
    [MemberData(nameof(Floats))]
    public void LineProtocol_FloatField_ByteIdenticalToTheClients(double value)
    {
        var point = new LinePoint("m", [], [Field.OfNumber("v", value)], Time);
        Assert.Equal(Theirs(point), Ours(point));
    }

    [Fact]
    public void LineProtocol_TimeBetweenMilliseconds_WeTruncateWhereTheClientRounds()
    {
        // Both are valid line protocol at precision=ms; only the choice of millisecond differs. We truncate, as
        // DateTimeOffset.ToUnixTimeMilliseconds does, so a sample is never stamped later than it was taken; the client
        // rounds to the nearest. Gateway timestamps are whole milliseconds, so this never shows in practice.
        // Normalised only here: the client's line for the same point cut to the whole millisecond is ours.
        var point = Cases["plain"] with { Time = Time.AddTicks(9_999) };
        Assert.EndsWith(" 1795335302115", Theirs(point), StringComparison.Ordinal);
        Assert.Equal(Theirs(point with { Time = Time }), Ours(point));
    }

    [Fact]
    public void LineProtocol_BackslashEndingAName_TheClientEscapesTheSeparatorWeWriteASlash()
    {
        // The reference has backslash as the escape character and no escape for a backslash itself in names, so a
        // name ending in one escapes the separator after it: the client's line has no tag set and no field set left.
        // InfluxDB 1.x keeps backslashes literally, 2.x reads "\\" as one, so no spelling of it works on both; ours
        // writes '/' (LineProtocol's documented rule) and the line stays a point. The last test shows 1.6.7 refusing
        // the client's line and storing ours.
        var point = new LinePoint("m\\", [new("t\\", "v\\")], [Field.OfNumber("f\\", 1)], Time);
        Assert.Equal("m\\,t\\=v\\ f\\=1 1795335302114", Theirs(point));
        Assert.Equal("m/,t/=v/ f/=1 1795335302114", Ours(point));
    }

    [Fact]
    public void LineProtocol_NewlinesInNamesAndStrings_TheClientWritesThemWeWriteSpaces()
    {
        // "Line protocol does not support the newline character \n in tag or field values": the client writes a
        // backslash and an 'n' in names (which servers store as those two characters, since \n is no escape of
        // line protocol) and a raw CR LF inside a string field. Ours keeps every point on one line.
        var point = new LinePoint("m", [new("t", "a\nb")], [Field.OfText("s", "x\r\ny")], Time);
        Assert.Equal("m,t=a\\nb s=\"x\r\ny\" 1795335302114", Theirs(point));
        Assert.Equal("m,t=a\\ b s=\"x  y\" 1795335302114", Ours(point));
    }

    [Fact]
    public void LineProtocol_MeasurementStartingWithHash_TheClientWritesACommentWeKeepThePoint()
    {
        // A line starting with '#' is a comment: the client's point would be dropped without an error.
        var point = new LinePoint("#x", [], [Field.OfNumber("v", 1)], Time);
        Assert.Equal("#x v=1 1795335302114", Theirs(point));
        Assert.Equal("_x v=1 1795335302114", Ours(point));
    }

    [Fact]
    public async Task V2Write_SameLines_OurRequestIsTheClients()
    {
        string[] lines = ["elevator,device=lift-1 floor=3 1795335302114", "elevator,device=lift-2 floor=4 1795335302115"];
        var (theirs, ours) = await BothWriteAsync(lines, gzip: false);

        Assert.Equal((theirs.Method, theirs.Path), (ours.Method, ours.Path));
        Assert.Equal(("POST", "/api/v2/write"), (ours.Method, ours.Path));
        Assert.Equal(theirs.Query, ours.Query);
        Assert.Equal(theirs.Authorization, ours.Authorization);
        Assert.Equal(theirs.Headers["content-type"], ours.Headers["content-type"]);
        // The client says "Content-Encoding: identity"; we send no Content-Encoding, which means the same (RFC 9110
        // reserves "identity" for Accept-Encoding). Normalised only for that.
        Assert.Equal(theirs.ContentEncoding ?? "identity", ours.ContentEncoding ?? "identity");
        // We end every line with '\n', the client puts '\n' between lines only; a trailing newline is an empty line,
        // which line protocol ignores. Normalised only for that.
        Assert.Equal(theirs.Body, ours.Body.TrimEnd('\n'));
    }

    [Fact]
    public async Task V2Write_Gzipped_OurRequestIsTheClients()
    {
        var lines = Enumerable.Range(0, 50).Select(i => string.Create(CultureInfo.InvariantCulture, $"elevator,device=lift-{i} floor={i} {1795335302114 + i}")).ToArray();
        var (theirs, ours) = await BothWriteAsync(lines, gzip: true);

        Assert.Equal(("gzip", "gzip"), (theirs.ContentEncoding, ours.ContentEncoding));
        Assert.Equal(theirs.Headers["content-type"], ours.Headers["content-type"]);
        Assert.Equal(theirs.Query, ours.Query);
        Assert.Equal(theirs.Body, ours.Body.TrimEnd('\n'));
    }

    /// <summary>The same lines written by the client and by us, with the same org (with characters the query must escape), bucket and token.</summary>
    private async Task<(RecordedRequest Theirs, RecordedRequest Ours)> BothWriteAsync(string[] lines, bool gzip)
    {
        const string Org = "acme & co/ä", Bucket = "facilities/telemetry?1", Token = "s3cr3t==";
        await using var endpoint = await RecordingHttpEndpoint.StartAsync(_ => (204, ""), _cancellation);
        using (var client = new InfluxDBClient(new InfluxDBClientOptions(endpoint.Url) { Token = Token, Org = Org, Bucket = Bucket }))
        {
            if (gzip)
            {
                client.EnableGzip();
            }

            await client.GetWriteApiAsync().WriteRecordsAsync(lines, WritePrecision.Ms, Bucket, Org, _cancellation);
        }

        using (var api = new InfluxWriteApi(new InfluxOptions { Url = endpoint.Url, Version = 2, Org = Org, Bucket = Bucket, Token = Token, GzipThresholdBytes = gzip ? 1 : int.MaxValue }))
        {
            Assert.Equal(WriteStatus.Written, (await api.WriteAsync(lines, _cancellation)).Status);
        }

        var requests = endpoint.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        return (requests[0], requests[1]);
    }

    [Fact]
    public async Task Influx167_WhereWeDifferFromTheClient_RefusesTheClientsLineAndStoresOurs()
    {
        // The differences above, settled by a real server: InfluxDB 1.6.7 over its v1 API (the client speaks only v2).
        var database = await influx.CreateDatabaseAsync(_cancellation);
        using var api = new InfluxWriteApi(V1(influx.Server.Url, database));
        var point = new LinePoint("m\\", [new("t\\", "v\\")], [Field.OfNumber("f\\", 1)], Time);

        var theirs = await api.WriteAsync([Theirs(point)], _cancellation);
        var ours = await api.WriteAsync([Ours(point)], _cancellation);

        Assert.Equal(WriteStatus.Refused, theirs.Status);
        Assert.Equal(WriteStatus.Written, ours.Status);
        var row = Assert.Single(await influx.Server.RowsAsync(database, "SELECT * FROM \"m/\"", _cancellation));
        Assert.Equal(("v/", 1.0), (row["t/"].GetString(), row["f/"].GetDouble()));
    }
}

using System.Text;
using Facilities.Cloud.TelemetryStore;
using static Facilities.Cloud.Tests.TelemetryStore.InfluxTesting;

namespace Facilities.Cloud.Tests.TelemetryStore;

/// <summary>
/// Protocol tests against a local endpoint that records requests: the v2 request shape (no InfluxDB 2 server exists
/// here — this checks what we send, not that a v2 server accepts it), gzip, and how answers real servers give only
/// now and then (5xx, 404, 429, repeated 400s) are handled. The v1 API itself is tested against InfluxDB 1.6.7.
/// </summary>
public sealed class InfluxWriteApiProtocolTests
{
    private static readonly string[] Lines = ["elevator,device=lift-1 floor=3 1795335302114", "elevator,device=lift-2 floor=4 1795335302115"];
    private readonly CancellationToken _cancellation = TestContext.Current.CancellationToken;

    [Fact]
    public async Task V2Write_PostsToApiV2WriteWithOrgBucketPrecisionAndToken()
    {
        await using var endpoint = await RecordingHttpEndpoint.StartAsync(_ => (204, ""), _cancellation);
        using var api = new InfluxWriteApi(new InfluxOptions { Url = endpoint.Url + "/", Version = 2, Org = "acme & co", Bucket = "facilities/telemetry", Token = "s3cr3t==" });

        var outcome = await api.WriteAsync(Lines, _cancellation);

        Assert.Equal(WriteStatus.Written, outcome.Status);
        var request = Assert.Single(endpoint.Requests);
        Assert.Equal(("POST", "/api/v2/write"), (request.Method, request.Path));
        Assert.Equal(new Dictionary<string, string> { ["org"] = "acme & co", ["bucket"] = "facilities/telemetry", ["precision"] = "ms" }, request.Query);
        Assert.Equal("Token s3cr3t==", request.Authorization);
        Assert.Null(request.ContentEncoding);
        Assert.Equal(string.Join('\n', Lines) + "\n", request.Body);
    }

    [Fact]
    public async Task V1Write_WithCredentialsAndRetentionPolicy_PostsToWriteWithBasicAuth()
    {
        await using var endpoint = await RecordingHttpEndpoint.StartAsync(_ => (204, ""), _cancellation);
        using var api = new InfluxWriteApi(new InfluxOptions { Url = endpoint.Url + "/influx", Database = "facilities", RetentionPolicy = "one year", Username = "cloud", Password = "p:w" });

        await api.WriteAsync(Lines, _cancellation);

        var request = Assert.Single(endpoint.Requests);
        Assert.Equal("/influx/write", request.Path);
        Assert.Equal(new Dictionary<string, string> { ["db"] = "facilities", ["rp"] = "one year", ["precision"] = "ms" }, request.Query);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("cloud:p:w")), request.Authorization);
    }

    [Fact]
    public async Task LargeBody_IsSentGzipped()
    {
        await using var endpoint = await RecordingHttpEndpoint.StartAsync(_ => (204, ""), _cancellation);
        using var api = new InfluxWriteApi(new InfluxOptions { Url = endpoint.Url, Version = 2, Org = "o", Bucket = "b", Token = "t", GzipThresholdBytes = 1000 });
        var lines = Enumerable.Range(0, 100).Select(i => $"elevator,device=lift-{i} floor={i} {1795335302114 + i}").ToArray();

        await api.WriteAsync(lines, _cancellation);
        await api.WriteAsync(Lines, _cancellation);

        var requests = endpoint.Requests.ToArray();
        Assert.Equal(("gzip", (byte)0x1f, (byte)0x8b), (requests[0].ContentEncoding, requests[0].RawBody[0], requests[0].RawBody[1]));
        Assert.Equal(string.Join('\n', lines) + "\n", requests[0].Body);
        Assert.True(requests[0].RawBody.Length < requests[0].Body.Length / 3);
        Assert.Null(requests[1].ContentEncoding);
    }

    [Theory]
    [InlineData(400, WriteStatus.Refused)]
    [InlineData(413, WriteStatus.Refused)]
    [InlineData(422, WriteStatus.Refused)]
    [InlineData(401, WriteStatus.Failed)]
    [InlineData(404, WriteStatus.Failed)]
    [InlineData(429, WriteStatus.Failed)]
    [InlineData(500, WriteStatus.Failed)]
    [InlineData(503, WriteStatus.Failed)]
    public async Task ErrorAnswer_IsRefusedOnlyForBadData_AndCarriesTheServersMessage(int status, WriteStatus expected)
    {
        await using var endpoint = await RecordingHttpEndpoint.StartAsync(_ => (status, "{\"error\":\"something\"}"), _cancellation);
        using var api = new InfluxWriteApi(new InfluxOptions { Url = endpoint.Url, Database = "d" });

        var outcome = await api.WriteAsync(Lines, _cancellation);

        Assert.Equal((expected, status), (outcome.Status, outcome.HttpStatus));
        Assert.Equal($"HTTP {status}: {{\"error\":\"something\"}}", outcome.Error);
    }

    [Fact]
    public async Task NothingListening_IsAFailureNotAnException()
    {
        using var api = new InfluxWriteApi(new InfluxOptions { Url = $"http://127.0.0.1:{FreePort.Next()}", Database = "d" });

        var outcome = await api.WriteAsync(Lines, _cancellation);

        Assert.Equal((WriteStatus.Failed, (int?)null), (outcome.Status, outcome.HttpStatus));
        Assert.Contains("refused", outcome.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Drainer_SeveralBadLinesInABatch_RejectsOnlyThem()
    {
        // Like InfluxDB 2: a batch with any bad line is refused with 400.
        await using var endpoint = await RecordingHttpEndpoint.StartAsync(
            r => r.Body.Contains("floor=13", StringComparison.Ordinal) || r.Body.Contains("floor=7 ", StringComparison.Ordinal) ? (400, "{\"code\":\"invalid\"}") : (204, ""),
            _cancellation);
        await using var bed = await HistoryBed.CreateAsync(V1(endpoint.Url, "d") with { Version = 2, Org = "o", Bucket = "b", Token = "t" }, _cancellation);
        await bed.RecordAsync([.. Enumerable.Range(1, 20).Select(n => Envelopes.Lift(n, floor: n))]);

        await bed.Drainer.StartAsync(_cancellation);
        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot() is { Written: 18, Rejected: 2 }), "18 written, 2 rejected", Patience, TestContext.Current.CancellationToken);
        await bed.Drainer.StopAsync(_cancellation);

        var stored = endpoint.Requests.Where(r => !r.Body.Contains("floor=13", StringComparison.Ordinal) && !r.Body.Contains("floor=7 ", StringComparison.Ordinal))
            .SelectMany(r => r.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal(18, stored.Length);
        Assert.Equal(18, stored.Distinct().Count());
    }

    [Fact]
    public async Task Drainer_UnavailableThenAvailable_RetriesTheSameBatch()
    {
        var answers = new Queue<int>([503, 404, 429, 500]);
        await using var endpoint = await RecordingHttpEndpoint.StartAsync(_ => (answers.TryDequeue(out var status) ? status : 204, ""), _cancellation);
        await using var bed = await HistoryBed.CreateAsync(V1(endpoint.Url, "d"), _cancellation);
        await bed.RecordAsync([.. Enumerable.Range(1, 5).Select(n => Envelopes.Lift(n))]);

        await bed.Drainer.StartAsync(_cancellation);
        await Eventually.HoldsAsync(() => Task.FromResult(bed.Metrics.Snapshot().Written == 5), "the batch is written after the errors", Patience, TestContext.Current.CancellationToken);
        await bed.Drainer.StopAsync(_cancellation);

        Assert.Equal((4, 0, 0), (bed.Metrics.Snapshot().Retries, bed.Metrics.Snapshot().Rejected, bed.Metrics.Snapshot().Dropped));
        Assert.Single(endpoint.Requests.Select(r => r.Body).Distinct());
        Assert.Equal(5, endpoint.Requests.Count);
    }
}

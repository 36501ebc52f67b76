using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.WorkOrders;

/// <summary>The whole cloud (Mosquitto, SQLite): an order opened by a fault, then taken through its lifecycle over HTTP.</summary>
public sealed class WorkOrderApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lifecycle_ThroughTheApi_AllowsOnlyTheNextStep_AndRecordsEachOnTheTimeline()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?> { ["WorkOrders:Teams:elevator:estate"] = "Li Ming" });
        await cloud.Services.GetRequiredService<IngestPipeline>().ProcessAsync(
            [Messages.Event(1, DateTimeOffset.UtcNow, "lift-1", "elevator", "fault_code", 1, "trapped-at-floor")], Ct);

        var list = await GetJsonAsync(cloud, "/api/work-orders?site=estate");
        var order = Assert.Single(list.EnumerateArray().ToList());
        Assert.Equal(("assigned", "Li Ming", "P1"), (order.GetProperty("status").GetString(), order.GetProperty("assignee").GetString(), order.GetProperty("priority").GetString()));
        var id = order.GetProperty("id").GetInt64();

        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(cloud, id, "close", new { by = "wang" }));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(cloud, id, "start", new { }));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(cloud, id, "assign", new { by = "wang" }));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(cloud, id, "explode", new { by = "wang" }));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(cloud, 9999, "start", new { by = "wang" }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(cloud, id, "assign", new { by = "dispatch", assignee = "Zhao Lei" }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(cloud, id, "start", new { by = "Zhao Lei" }));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(cloud, id, "start", new { by = "Zhao Lei" }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(cloud, id, "note", new { by = "Zhao Lei", text = "passenger released 10:12" }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(cloud, id, "resolve", new { by = "Zhao Lei", note = "door operator reset" }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(cloud, id, "close", new { by = "dispatch" }));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(cloud, id, "resolve", new { by = "dispatch" }));

        var detail = await GetJsonAsync(cloud, $"/api/work-orders/{id}");
        Assert.Equal("closed", detail.GetProperty("order").GetProperty("status").GetString());
        Assert.Equal(["opened", "assigned", "assigned", "in_progress", "note", "resolved", "closed"],
            detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        Assert.Empty((await GetJsonAsync(cloud, "/api/work-orders")).EnumerateArray());
        Assert.Single((await GetJsonAsync(cloud, "/api/work-orders?status=closed")).EnumerateArray());
    }

    [Theory]
    [InlineData("/api/work-orders?status=bogus", HttpStatusCode.BadRequest)]
    [InlineData("/api/work-orders?limit=0", HttpStatusCode.BadRequest)]
    [InlineData("/api/work-orders/4242", HttpStatusCode.NotFound)]
    public async Task BadRequests_GetProblemDetails(string path, HttpStatusCode expected)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        using var response = await cloud.Http.GetAsync(new Uri(path, UriKind.Relative), Ct);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<JsonElement> GetJsonAsync(CloudHost cloud, string path) =>
        JsonDocument.Parse(await cloud.Http.GetStringAsync(new Uri(path, UriKind.Relative), Ct)).RootElement;

    private static async Task<HttpStatusCode> PostAsync(CloudHost cloud, long id, string action, object body)
    {
        using var response = await cloud.Http.PostAsJsonAsync(new Uri($"/api/work-orders/{id}/{action}", UriKind.Relative), body, Ct);
        if (!response.IsSuccessStatusCode)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        return response.StatusCode;
    }
}

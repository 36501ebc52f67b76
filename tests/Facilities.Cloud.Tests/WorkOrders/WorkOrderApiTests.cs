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

        var crew = await cloud.ClientForAsync("Zhao Lei", "crew");
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(cloud.Http, id, "close", new { }));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(cloud.Http, id, "assign", new { }));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(cloud.Http, id, "note", new { text = " " }));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(cloud.Http, id, "explode", new { }));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(cloud.Http, 9999, "start", new { }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(cloud.Http, id, "assign", new { assignee = "Zhao Lei" }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(crew, id, "start", new { by = "not me" }));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(crew, id, "start", new { }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(crew, id, "note", new { text = "passenger released 10:12" }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(crew, id, "resolve", new { note = "door operator reset" }));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(cloud.Http, id, "close", new { }));
        Assert.Equal(HttpStatusCode.Conflict, await PostAsync(cloud.Http, id, "resolve", new { }));

        // Each step is on the timeline with the signed-in user as actor, whatever a body claims.
        var detail = await GetJsonAsync(cloud, $"/api/work-orders/{id}");
        Assert.Equal("closed", detail.GetProperty("order").GetProperty("status").GetString());
        Assert.Equal(
            [("opened", "system"), ("assigned", "system"), ("assigned", CloudHost.AdminName), ("in_progress", "Zhao Lei"), ("note", "Zhao Lei"), ("resolved", "Zhao Lei"), ("closed", CloudHost.AdminName)],
            detail.GetProperty("timeline").EnumerateArray().Select(e => (e.GetProperty("action").GetString(), e.GetProperty("actor").GetString())));
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

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, long id, string action, object body)
    {
        using var response = await client.PostAsJsonAsync(new Uri($"/api/work-orders/{id}/{action}", UriKind.Relative), body, Ct);
        if (!response.IsSuccessStatusCode)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        return response.StatusCode;
    }
}

using System.Net;
using System.Text;
using System.Text.Json;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>The API describes itself (OpenAPI) and answers every bad request with problem details.</summary>
public sealed class ApiContractTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenApi_DescribesTheAlertEndpoints_AndBadRequestsGetProblemDetails()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);

        var openApi = JsonDocument.Parse(await cloud.Http.GetStringAsync("/openapi/v1.json", Ct)).RootElement;
        var paths = openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/alerts", paths.Select(p => p.TrimEnd('/')));
        Assert.Contains("/api/alerts/{id}/acknowledge", paths);
        Assert.Contains("/api/ingestion", paths);

        foreach (var (method, path, body, status) in new (HttpMethod, string, string?, HttpStatusCode)[]
        {
            (HttpMethod.Get, "/api/alerts?state=burning", null, HttpStatusCode.BadRequest),
            (HttpMethod.Get, "/api/alerts?limit=0", null, HttpStatusCode.BadRequest),
            (HttpMethod.Get, "/api/alerts/999", null, HttpStatusCode.NotFound),
            (HttpMethod.Post, "/api/alerts/999/acknowledge", "{\"note\":\"x\"}", HttpStatusCode.NotFound),
            (HttpMethod.Post, "/api/alerts/1/acknowledge", "{\"note\":", HttpStatusCode.BadRequest),
            (HttpMethod.Get, "/api/alerts/abc", null, HttpStatusCode.NotFound),
            (HttpMethod.Get, "/api/dead-letters?limit=5000", null, HttpStatusCode.BadRequest),
        })
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            using var response = await cloud.Http.SendAsync(request, Ct);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        }
    }
}

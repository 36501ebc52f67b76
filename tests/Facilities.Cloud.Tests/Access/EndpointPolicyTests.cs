using System.Net;
using Facilities.Cloud.Access;
using Facilities.Cloud.Tests.EndToEnd;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.Access;

/// <summary>
/// Every endpoint of the running cloud, whoever added it, names one of the role policies or says it is anonymous;
/// and an anonymous caller really is refused by each endpoint that is not marked anonymous.
/// </summary>
public sealed class EndpointPolicyTests
{
    /// <summary>What anonymous visitors may reach: charger pages and their API, sign-in, health, assets, language.</summary>
    private static readonly string[] PublicPatterns =
    [
        "/", "/healthz", "/sign-in", "/sign-out", "/api/me", "/assets/{name}", "/language/{language}", "/chargers",
        "/api/live/chargers", "/api/sites", "/api/sites/{site}/chargers",
    ];

    private static readonly string[] KnownPolicies = [Policies.Crew, Policies.Engineer, Policies.Admin];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryEndpoint_NamesARolePolicyOrIsAnonymous_AndOnlyPublicOnesAreAnonymous()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);

        var endpoints = Endpoints(cloud);
        Assert.True(endpoints.Count > 20, $"only {endpoints.Count} endpoints found");
        var unmarked = endpoints
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null
                && !e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => KnownPolicies.Contains(a.Policy)))
            .Select(e => e.DisplayName).ToList();
        Assert.True(unmarked.Count == 0, "endpoints without a role policy or AllowAnonymous: " + string.Join(", ", unmarked));

        var anonymous = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => Normal(e.RoutePattern.RawText!)).Distinct().ToList();
        Assert.Equal([], anonymous.Except(PublicPatterns));
    }

    [Fact]
    public async Task AnonymousCaller_IsRefusedByEveryEndpointNotMarkedAnonymous()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);

        var checkedPaths = new List<string>();
        foreach (var endpoint in Endpoints(cloud).Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null))
        {
            var method = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods is [var first, ..] ? first : "GET";
            var path = Sample(endpoint.RoutePattern.RawText!);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Accept.ParseAdd("application/json");
            if (method is "POST" or "PUT")
            {
                request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await cloud.Anonymous.SendAsync(request, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} answered {(int)response.StatusCode} to an anonymous caller");
            checkedPaths.Add(path);
        }

        Assert.Contains("/api/alerts/1/acknowledge", checkedPaths);
        Assert.Contains("/api/users", checkedPaths);

        // A page asked for by a browser sends it to sign-in, coming back afterwards.
        using var page = new HttpRequestMessage(HttpMethod.Get, "/console");
        page.Headers.Accept.ParseAdd("text/html");
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = cloud.BaseAddress };
        using var redirected = await noRedirect.SendAsync(page, Ct);
        Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
        Assert.Equal("/sign-in?returnUrl=%2Fconsole", redirected.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("crew", "GET", "/api/users", HttpStatusCode.Forbidden)]
    [InlineData("crew", "POST", "/api/alerts/1/acknowledge", HttpStatusCode.Forbidden)]
    [InlineData("crew", "GET", "/api/dead-letters", HttpStatusCode.Forbidden)]
    [InlineData("crew", "GET", "/metrics", HttpStatusCode.Forbidden)]
    [InlineData("crew", "GET", "/api/work-orders", HttpStatusCode.OK)]
    [InlineData("crew", "GET", "/api/alerts", HttpStatusCode.OK)]
    [InlineData("resident", "GET", "/api/alerts", HttpStatusCode.Forbidden)]
    [InlineData("resident", "GET", "/api/work-orders", HttpStatusCode.Forbidden)]
    [InlineData("engineer", "GET", "/api/users", HttpStatusCode.Forbidden)]
    [InlineData("engineer", "GET", "/metrics", HttpStatusCode.OK)]
    [InlineData("engineer", "GET", "/api/dead-letters", HttpStatusCode.OK)]
    [InlineData("admin", "GET", "/api/users", HttpStatusCode.OK)]
    public async Task Role_ReachesWhatItsPolicyAllows(string role, string method, string path, HttpStatusCode expected)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        var client = await cloud.ClientForAsync($"{role}-1", role);

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request, Ct);
        Assert.Equal(expected, response.StatusCode);
    }

    private static List<RouteEndpoint> Endpoints(CloudHost cloud) =>
        [.. cloud.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    private static string Normal(string pattern) => "/" + pattern.Trim('/');

    /// <summary>A concrete path for a route pattern: parameters get plausible values.</summary>
    private static string Sample(string pattern)
    {
        var path = "/" + pattern.TrimStart('/');
        return System.Text.RegularExpressions.Regex.Replace(path, @"\{(?<name>[a-zA-Z]+)[^}]*\}", m => m.Groups["name"].Value switch
        {
            "id" => "1",
            "action" => "start",
            "documentName" => "v1",
            "device" or "deviceId" => "lift-1",
            "site" => "estate",
            _ => "x",
        }).TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/";
    }
}

using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Facilities.Cloud.Pages.Tests;

/// <summary>What a browser can reach without signing in, and as a crew member.</summary>
public sealed class AccessPageTests(PagesBed bed)
{
    private static readonly string[] ProtectedPages = ["/console", "/elevators", "/elevators/lift-1?site=estate", "/admin/users"];

    private static readonly string[] ProtectedApis =
    [
        "/api/alerts", "/api/work-orders", "/api/elevators", "/api/elevators/lift-1/health", "/api/overview", "/api/users",
        "/api/ingestion", "/api/dead-letters", "/api/live/console", "/metrics", "/openapi/v1.json",
    ];

    [Fact]
    public async Task AnonymousVisitor_GetsTheChargerPagesAndTheirApi_AndNothingElse()
    {
        var page = await bed.OpenAsync();
        await page.GotoAsync("/");
        Assert.EndsWith("/chargers", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        await Expect(page.Locator("header nav a")).ToHaveCountAsync(1);
        await Expect(page.Locator("header nav a")).ToHaveAttributeAsync("href", "/chargers");

        foreach (var path in ProtectedPages)
        {
            await page.GotoAsync(path);
            Assert.Equal("/sign-in", new Uri(page.Url).AbsolutePath);
            await Expect(page.Locator("input[name=returnUrl]")).ToHaveValueAsync(path);
        }

        // The API, from the page itself (same origin, the browser's own cookies: none).
        foreach (var path in ProtectedApis)
        {
            Assert.Equal(401, await StatusFromPageAsync(page, path));
        }

        Assert.Equal(200, await StatusFromPageAsync(page, "/api/sites"));
        Assert.Equal(200, await StatusFromPageAsync(page, $"/api/sites/{PagesBed.Site}/chargers"));
        var body = await page.EvaluateAsync<string>($"fetch('/api/sites/{PagesBed.Site}/chargers').then(r => r.text())");
        Assert.DoesNotContain("energy", body, StringComparison.OrdinalIgnoreCase); // nothing that tells when a neighbour comes and goes
    }

    [Fact]
    public async Task CrewMember_ReadsElevatorsAndOrders_ButCannotReachAdminFunctions()
    {
        var page = await bed.OpenAsync(PagesBed.Crew);
        Assert.Equal("/elevators", new Uri(page.Url).AbsolutePath);
        await Expect(page.Locator("header nav a[href='/admin/users']")).ToHaveCountAsync(0);
        await Expect(page.Locator("li[data-device]")).ToHaveCountAsync(2, new() { Timeout = 30_000 });

        var response = await page.GotoAsync("/admin/users");
        Assert.Equal(403, response!.Status);
        await Expect(page.Locator("main h1")).ToHaveTextAsync("无权访问");
        Assert.Equal(403, await StatusFromPageAsync(page, "/api/users"));
        Assert.Equal(403, await PostFromPageAsync(page, "/api/users", """{"name":"intruder","role":"admin","password":"intruder-password"}"""));
        Assert.Equal(403, await PostFromPageAsync(page, "/api/users/crew-zhao/tokens", """{"label":"mine"}"""));
        Assert.Equal(403, await PostFromPageAsync(page, "/api/alerts/1/acknowledge", "{}"));
        Assert.Equal(403, await StatusFromPageAsync(page, "/metrics"));
        Assert.Equal(0, await bed.Cloud.CountAsync("SELECT COUNT(*) FROM users WHERE name = 'intruder'"));

        await page.GotoAsync("/console");
        await Expect(page.Locator("#live")).ToHaveTextAsync("实时");
        await Expect(page.Locator("button[data-action=acknowledge]")).ToHaveCountAsync(0);
        await Expect(page.Locator("#overview-section")).ToBeHiddenAsync();
    }

    private static Task<int> StatusFromPageAsync(IPage page, string path) =>
        page.EvaluateAsync<int>("async path => { const c = new AbortController(); const r = await fetch(path, { signal: c.signal }); c.abort(); return r.status; }", path);

    private static Task<int> PostFromPageAsync(IPage page, string path, string json) =>
        page.EvaluateAsync<int>("async ([path, json]) => (await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: json })).status", new[] { path, json });
}

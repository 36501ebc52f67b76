using Facilities.Cloud.Tests.EndToEnd;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Facilities.Cloud.Pages.Tests;

/// <summary>
/// The pages under the cloud's Content-Security-Policy and CSRF check, in a real Chromium: every page's scripts, styles,
/// fetches and live streams still work with no violation reported, and a page from another origin on the same host
/// cannot act with the signed-in user's cookie.
/// </summary>
public sealed class SecurityPageTests(PagesBed bed)
{
    private static readonly string[] Pages = ["/chargers", "/console", "/elevators", "/elevators/lift-1?site=estate", "/admin/users", "/sign-in"];

    [Fact]
    public async Task EveryPage_WorksUnderTheContentSecurityPolicy_WithNoViolation()
    {
        var violations = new List<string>();
        var page = await WatchedAsync(await bed.OpenAsync(PagesBed.Engineer), violations);
        var admin = await WatchedAsync(await bed.OpenAsync(CloudHost.AdminName), violations);

        foreach (var path in Pages)
        {
            var browser = path == "/admin/users" ? admin : page;
            var response = await browser.GotoAsync(path);
            Assert.Contains("frame-ancestors 'none'", (await response!.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);

            // The page's own script ran (it reads the JSON data block) and, where there is one, the live stream is open.
            await browser.WaitForFunctionAsync("() => typeof Page !== 'undefined' && Page.data.page.length > 0");
            if (await browser.Locator("#live").CountAsync() > 0)
            {
                await browser.WaitForFunctionAsync("() => document.getElementById('live').textContent === Page.t('common.live')");
            }

            // The stylesheet applied: the header is laid out by app.css, not the browser's defaults.
            Assert.NotEqual("block", await browser.EvaluateAsync<string>("getComputedStyle(document.querySelector('header.top')).display"));
            Assert.Empty(await browser.EvaluateAsync<string[]>("window.__csp"));
        }

        Assert.Empty(violations);
    }

    [Fact]
    public async Task InjectedInlineScript_IsRefusedByThePolicy_AndReported()
    {
        var violations = new List<string>();
        var page = await WatchedAsync(await bed.OpenAsync(), violations);
        await page.GotoAsync("/chargers");

        // What a stored-XSS payload would become once in the DOM: an inline script. The policy refuses to run it, and the
        // report is what the test above relies on to see a violation.
        await page.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.append(s); }");

        await page.WaitForFunctionAsync("() => window.__csp.length > 0");
        Assert.Contains("script-src", (await page.EvaluateAsync<string[]>("window.__csp"))[0], StringComparison.Ordinal);
        Assert.False(await page.EvaluateAsync<bool>("() => window.__ran === true"));
    }

    /// <summary>Collects CSP reports of the page: the console's and, from the page itself, every <c>securitypolicyviolation</c> event (into <c>window.__csp</c>).</summary>
    private static async Task<IPage> WatchedAsync(IPage page, List<string> violations)
    {
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                violations.Add(message.Text);
            }
        };
        await page.Context.AddInitScriptAsync("""
            window.__csp = [];
            document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
            """);
        return page;
    }

    [Fact]
    public async Task PageOnAnotherPortOfTheSameHost_CannotSignTheUserOutWithTheirCookie()
    {
        var page = await bed.OpenAsync(PagesBed.Engineer);
        var evil = $"http://127.0.0.1:{FreePort.Next()}";
        var cloud = bed.Cloud.BaseAddress.GetLeftPart(UriPartial.Authority);
        // The other origin's page, served by the browser itself: same site as the cloud (ports do not count), so the
        // SameSite=Lax cookie rides along on its form post.
        await page.Context.RouteAsync(evil + "/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"""<form method="post" action="{cloud}/sign-out"></form><script>document.forms[0].submit()</script>""",
        }));

        var refused = page.WaitForResponseAsync(r => r.Url.EndsWith("/sign-out", StringComparison.Ordinal));
        await page.GotoAsync(evil + "/");
        Assert.Equal(403, (await refused).Status);

        await page.GotoAsync("/console");
        Assert.Equal("/console", new Uri(page.Url).AbsolutePath); // still signed in
        await Expect(page.Locator("header .who")).ToContainTextAsync(PagesBed.Engineer);
    }
}

using System.Net;
using Facilities.Cloud.Access;
using Facilities.Cloud.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.Access;

/// <summary>Sign-in through the form, the session cookie, sign-out, rate limits, and users removed or re-passworded.</summary>
public sealed class SignInTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignIn_SetsAnHttpOnlyLaxCookie_ThatOpensTheApi_UntilSignOut()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        using var browser = Browser(cloud, out _);

        using var signIn = await SignInAsync(browser, CloudHost.AdminName, CloudHost.AdminPassword, "/console");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/console", signIn.Headers.Location?.OriginalString);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith(AccessAuthenticationHandler.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expires=", cookie, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(browser, "/api/alerts"));
        var me = await browser.GetStringAsync(new Uri("/api/me", UriKind.Relative), Ct);
        Assert.Contains($"\"name\":\"{CloudHost.AdminName}\"", me, StringComparison.Ordinal);

        using (var signOut = await browser.PostAsync(new Uri("/sign-out", UriKind.Relative), null, Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(browser, "/api/alerts"));
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM sessions"));
    }

    [Fact]
    public async Task SignIn_WithAWrongPassword_IsRefused_AndTooManyAttemptsOnOneNameAreThrottled()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?> { ["Identity:SignInPerUserPer5Minutes"] = "3" });
        using var browser = Browser(cloud, out _);

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await SignInAsync(browser, CloudHost.AdminName, "not-the-password", null);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.DoesNotContain(wrong.Headers, h => h.Key == "Set-Cookie");
        }

        // Even the right password is not checked once the name's budget is spent.
        using var throttled = await SignInAsync(browser, CloudHost.AdminName, CloudHost.AdminPassword, null);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM sessions"));
    }

    [Fact]
    public async Task SignIn_FromOneClient_IsLimitedPerMinute_WhateverTheName()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?> { ["Identity:SignInPerClientPerMinute"] = "4" });
        using var browser = Browser(cloud, out _);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await SignInAsync(browser, $"nobody-{i}", "whatever-password", null);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task RemovingAUser_EndsTheirSessionsAndTokens_AtOnce()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        var crewToken = await cloud.ClientForAsync("crew-li", "crew");
        using var browser = Browser(cloud, out _);
        using (var signIn = await SignInAsync(browser, "crew-li", "crew-li-password", null))
        {
            Assert.Equal("/elevators", signIn.Headers.Location?.OriginalString);
        }

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(browser, "/api/work-orders"));
        Assert.Equal(HttpStatusCode.OK, (await crewToken.GetAsync(new Uri("/api/work-orders", UriKind.Relative), Ct)).StatusCode);

        using (var removed = await cloud.Http.DeleteAsync(new Uri("/api/users/crew-li", UriKind.Relative), Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(browser, "/api/work-orders"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await crewToken.GetAsync(new Uri("/api/work-orders", UriKind.Relative), Ct)).StatusCode);
    }

    [Fact]
    public async Task SessionUse_ExtendsItsExpiry_WhileAnExpiredOneIsRefused()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?> { ["Identity:SessionIdle"] = "01:00:00" }, clock);
        var users = cloud.Services.GetRequiredService<UserStore>();
        var user = await users.VerifyPasswordAsync(CloudHost.AdminName, CloudHost.AdminPassword, Ct);
        var session = await users.BeginSessionAsync(user!, Ct);

        clock.Advance(TimeSpan.FromMinutes(50)); // used after 50 of 60 minutes: renewed for another hour
        var renewed = await users.FindSessionAsync(session.Id, Ct);
        Assert.Equal(clock.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds(), renewed!.Value.Renewed!.Value.ToUnixTimeMilliseconds());
        clock.Advance(TimeSpan.FromMinutes(50));
        Assert.NotNull(await users.FindSessionAsync(session.Id, Ct));
        clock.Advance(TimeSpan.FromMinutes(61));
        Assert.Null(await users.FindSessionAsync(session.Id, Ct));
    }

    [Theory]
    [InlineData("//evil.example/x", false)]
    [InlineData("/\\evil.example", false)]
    [InlineData("https://evil.example", false)]
    [InlineData("/console?site=a", true)]
    [InlineData("/", true)]
    public void IsLocal_AcceptsOnlyPathsOnThisHost(string url, bool expected) => Assert.Equal(expected, AccessEndpoints.IsLocal(url));

    private static HttpClient Browser(CloudHost cloud, out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = cloud.BaseAddress };
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        client.DefaultRequestHeaders.TryAddWithoutValidation("Origin", cloud.BaseAddress.GetLeftPart(UriPartial.Authority)); // as a browser sends on every POST
        return client;
    }

    private static Task<HttpResponseMessage> SignInAsync(HttpClient browser, string name, string password, string? returnUrl) =>
        browser.PostAsync(new Uri("/sign-in", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["password"] = password, ["returnUrl"] = returnUrl ?? string.Empty,
        }), Ct);

    private static async Task<HttpStatusCode> StatusAsync(HttpClient browser, string path)
    {
        using var response = await browser.GetAsync(new Uri(path, UriKind.Relative), Ct);
        return response.StatusCode;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Facilities.Cloud.Ingestion;
using Facilities.Cloud.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace Facilities.Cloud.Tests.Hostile;

/// <summary>
/// Replays of attacks on the cloud's web side (issue 17), each against the real cloud over HTTP on 127.0.0.1: forged
/// cross-origin state changes, oversized bodies, sign-in lock-out, live-stream flooding, unaddressable user names,
/// tokens outliving a password — and what every error looks like (RFC 9457 problem details).
/// </summary>
public sealed partial class HostileWebTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---- CSRF -------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task CookieStateChange_FromAnotherPortOfTheSameHost_IsRefusedWith403Problem()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        using var victim = await SignedInBrowserAsync(cloud);

        // What a page on http://127.0.0.1:<other port> makes the victim's browser send: same site, so the Lax cookie goes along.
        using var forged = await AddUserAsync(victim, "mallory", origin: $"http://127.0.0.1:{FreePort.Next()}");

        await AssertProblemAsync(forged, HttpStatusCode.Forbidden, "Origin");
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM users WHERE name = 'mallory'"));
    }

    [Fact]
    public async Task AlertAcknowledge_ForgedFromAnotherPort_WithTheEngineersCookie_IsRefused_AndTheAlertStillFires()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        await OpenWorkOrderAsync(cloud); // a trapped passenger: a critical alert, firing at once
        var alert = await cloud.CountAsync("SELECT id FROM alerts WHERE state = 'firing'");
        using var victim = await SignedInBrowserAsync(cloud);

        // The original finding: a bodiless POST from a page on another port, which the browser sends with the Lax cookie.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/alerts/{alert}/acknowledge");
        request.Headers.TryAddWithoutValidation("Origin", $"http://127.0.0.1:{FreePort.Next()}");
        using var forged = await victim.SendAsync(request, Ct);

        await AssertProblemAsync(forged, HttpStatusCode.Forbidden, "is not this site");
        Assert.Equal(1, await cloud.CountAsync("SELECT COUNT(*) FROM alerts WHERE id = @alert AND state = 'firing'", new { alert }));
    }

    [Fact]
    public async Task CookieStateChange_WithNeitherOriginNorReferer_IsRefused()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        using var victim = await SignedInBrowserAsync(cloud);

        using var forged = await AddUserAsync(victim, "mallory", origin: null);

        await AssertProblemAsync(forged, HttpStatusCode.Forbidden, "neither an Origin nor a Referer");
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM users WHERE name = 'mallory'"));
    }

    [Fact]
    public async Task CookieStateChange_FromTheSiteItself_IsAccepted_ByOriginOrElseReferer()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        using var admin = await SignedInBrowserAsync(cloud);
        var own = WebClients.OwnOrigin(admin);

        using (var byOrigin = await AddUserAsync(admin, "by-origin", origin: own))
        {
            Assert.Equal(HttpStatusCode.Created, byOrigin.StatusCode);
        }

        using (var byReferer = await AddUserAsync(admin, "by-referer", origin: null, referer: own + "/admin/users"))
        {
            Assert.Equal(HttpStatusCode.Created, byReferer.StatusCode);
        }

        using (var foreignReferer = await AddUserAsync(admin, "by-foreign-referer", origin: null, referer: "http://evil.example/page"))
        {
            await AssertProblemAsync(foreignReferer, HttpStatusCode.Forbidden, "Referer");
        }
    }

    [Fact]
    public async Task SignIn_PostedFromAnotherOrigin_IsRefused_AndBeginsNoSession()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        using var browser = WebClients.Browser(cloud);

        // Login CSRF: the attacker's page signs the victim in as the attacker.
        using var forged = await WebClients.SignInAsync(browser, CloudHost.AdminName, CloudHost.AdminPassword, origin: "null");

        await AssertProblemAsync(forged, HttpStatusCode.Forbidden, "Origin");
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM sessions"));
    }

    [Fact]
    public async Task TokenStateChange_FromAnyOrigin_IsAccepted_BecauseATokenIsNoAmbientCredential()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);

        using var response = await AddUserAsync(cloud.Http, "by-token", origin: "http://elsewhere.example");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task CookieStateChange_FromAConfiguredAllowedOrigin_IsAccepted()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?> { ["Web:AllowedOrigins:0"] = "https://facilities.example.com" });
        using var admin = await SignedInBrowserAsync(cloud);

        // What a browser sends through a TLS-terminating proxy: the public origin, while the cloud itself is reached over http.
        using var response = await AddUserAsync(admin, "via-proxy", origin: "https://facilities.example.com");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    // ---- Security headers -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("/chargers", "text/html")]
    [InlineData("/sign-in", "text/html")]
    [InlineData("/api/sites", "application/json")]
    [InlineData("/api/no-such-thing", "application/json")]
    [InlineData("/assets/app.css", "text/css")]
    public async Task EveryResponse_CarriesTheSecurityHeaders(string path, string accept)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(accept);

        using var response = await cloud.Anonymous.SendAsync(request, Ct);

        var csp = Header(response, "Content-Security-Policy");
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("same-origin", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
    }

    [Theory]
    [InlineData("/sign-in")]
    [InlineData("/chargers")]
    [InlineData("/console")]
    [InlineData("/elevators")]
    [InlineData("/elevators/lift-1?site=estate")]
    [InlineData("/admin/users")]
    public async Task Pages_HaveNoInlineScriptStyleOrEventHandler_SoTheCspCostsThemNothing(string path)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await cloud.Http.SendAsync(request, Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.All(ScriptTag().Matches(html), tag => Assert.Matches("src=\"/assets/|type=\"application/json\"", tag.Value));
        Assert.DoesNotMatch(InlineStyleOrHandler(), html);
    }

    // ---- Body limits ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task WorkOrderNote_OfTwentyMegabytes_Is413Problem_AndNothingIsStored()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        var id = await OpenWorkOrderAsync(cloud);
        var crew = await cloud.ClientForAsync("crew-wu", "crew");

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/work-orders/{id}/note")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { text = new string('x', 20 * 1024 * 1024) }), Encoding.UTF8, "application/json"),
        };
        // As curl does for a large body: the server's answer comes before the body is sent (a server refusing a body it
        // has not read closes the connection, which a client still sending would see as a broken pipe).
        request.Headers.ExpectContinue = true;

        using var response = await crew.SendAsync(request, Ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "65536 bytes");
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM work_order_events WHERE action = 'note'"));
    }

    [Fact]
    public async Task WorkOrderNote_OverTheCharacterLimit_Is400Problem_NamingTheFieldAndTheLimit()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        var id = await OpenWorkOrderAsync(cloud);
        var crew = await cloud.ClientForAsync("crew-wu", "crew");

        using var response = await crew.PostAsJsonAsync(new Uri($"/api/work-orders/{id}/note", UriKind.Relative), new { text = new string('x', 3000) }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "'text' has 3000 characters; at most 2000");
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM work_order_events WHERE action = 'note'"));
    }

    [Fact]
    public async Task AlertNote_OverTheCharacterLimit_Is400Problem_NamingTheField()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);

        using var response = await cloud.Http.PostAsJsonAsync(new Uri("/api/alerts/1/acknowledge", UriKind.Relative), new { note = new string('x', 2001) }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "'note' has 2001 characters; at most 2000");
    }

    [Theory]
    [InlineData(false, (4 * 1024 * 1024) + 10)] // a declared length: refused before a byte is read
    [InlineData(true, 20 * 1024)] // chunked, length unknown: cut off by the server at the limit
    public async Task SignInForm_OverItsLimit_Is413Problem_NeverA500(bool chunked, int passwordLength)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        using var browser = WebClients.Browser(cloud);
        var form = "name=x&password=" + new string('p', passwordLength);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sign-in")
        {
            Content = chunked ? new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes(form))) : new StringContent(form, Encoding.ASCII),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.TransferEncodingChunked = chunked;
        request.Headers.ExpectContinue = !chunked;
        request.Headers.TryAddWithoutValidation("Origin", WebClients.OwnOrigin(browser));

        using var response = await browser.SendAsync(request, Ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "8192 bytes");
    }

    [Fact]
    public async Task ChunkedJsonBody_OverTheApiLimit_Is413Problem()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        var json = JsonSerializer.Serialize(new { name = "big", role = "crew", password = new string('p', 70_000) });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/users") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json))) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;

        using var response = await cloud.Http.SendAsync(request, Ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "65536 bytes");
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM users WHERE name = 'big'"));
    }

    // ---- Sign-in throttling -----------------------------------------------------------------------------------------

    [Fact]
    public async Task SignIn_AttackerFailingFromOneAddress_IsSlowed_WhileTheOwnerSignsInFromAnother()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?>
        {
            ["Identity:SignInFreeFailures"] = "3",
            ["Identity:SignInFirstDelay"] = "00:10:00", // long enough that a slow machine cannot outwait it between two requests
        });
        using var attacker = WebClients.Browser(cloud, from: "127.0.0.1");
        using var owner = WebClients.Browser(cloud, from: "127.0.0.2");

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await WebClients.SignInAsync(attacker, CloudHost.AdminName, $"guess-{i}-password");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // The attacker's next try is not even checked, right password or not ...
        using (var slowed = await WebClients.SignInAsync(attacker, CloudHost.AdminName, CloudHost.AdminPassword))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, slowed.StatusCode);
            Assert.InRange(slowed.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        }

        // ... but the owner, from their own address, signs in at once.
        using var signedIn = await WebClients.SignInAsync(owner, CloudHost.AdminName, CloudHost.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(1, await cloud.CountAsync("SELECT COUNT(*) FROM sessions"));
    }

    [Fact]
    public async Task SignIn_NameUnderAWideAttack_StillLetsTheOwnerInFromAnAddressThatHasNotFailed()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?> { ["Identity:SignInPerUserPer5Minutes"] = "4" });
        using var attackerA = WebClients.Browser(cloud, from: "127.0.0.3");
        using var attackerB = WebClients.Browser(cloud, from: "127.0.0.4");
        using var owner = WebClients.Browser(cloud, from: "127.0.0.2");

        foreach (var attacker in new[] { attackerA, attackerB, attackerA, attackerB })
        {
            using var wrong = await WebClients.SignInAsync(attacker, CloudHost.AdminName, "a-wrong-password");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // The name's budget is spent: addresses that failed for it wait ...
        using (var refused = await WebClients.SignInAsync(attackerA, CloudHost.AdminName, "another-guess"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        // ... the owner's does not.
        using var signedIn = await WebClients.SignInAsync(owner, CloudHost.AdminName, CloudHost.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    // ---- Live streams -----------------------------------------------------------------------------------------------

    [Fact]
    public async Task LiveChargerStreams_AreCappedPerAddressAndInTotal_With429Problem_AndFreedWhenClosed()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct, new Dictionary<string, string?>
        {
            ["Pages:LiveStreamsPerClient"] = "2",
            ["Pages:LiveStreams"] = "3",
        });
        using var first = WebClients.Browser(cloud, from: "127.0.0.1");
        using var second = WebClients.Browser(cloud, from: "127.0.0.2");
        using var third = WebClients.Browser(cloud, from: "127.0.0.3");

        var a1 = await OpenStreamAsync(first);
        using var a2 = await OpenStreamAsync(first);
        Assert.Equal(HttpStatusCode.OK, a1.StatusCode);
        Assert.Equal(HttpStatusCode.OK, a2.StatusCode);
        using (var a3 = await OpenStreamAsync(first))
        {
            await AssertProblemAsync(a3, HttpStatusCode.TooManyRequests, "this address already has 2 live streams");
        }

        using var b1 = await OpenStreamAsync(second);
        Assert.Equal(HttpStatusCode.OK, b1.StatusCode);
        using (var c1 = await OpenStreamAsync(third))
        {
            await AssertProblemAsync(c1, HttpStatusCode.TooManyRequests, "the server has 3 live streams open");
        }

        // A closed stream gives its place back (the server notices the disconnect when it next writes or waits).
        a1.Dispose();
        HttpResponseMessage? reopened = null;
        await Eventually.HoldsAsync(async () =>
        {
            reopened?.Dispose();
            reopened = await OpenStreamAsync(third);
            return reopened.StatusCode == HttpStatusCode.OK;
        }, "a stream from a third address once one closed", TimeSpan.FromSeconds(30), Ct, TimeSpan.FromMilliseconds(200));
        reopened!.Dispose();
    }

    // ---- Users and tokens -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("a/b")]
    [InlineData("a%2Fb")]
    [InlineData("a?b")]
    public async Task UserName_ThatCannotStandInAUrlPath_IsRefusedAtCreation_WithAClearProblem(string name)
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);

        using var response = await cloud.Http.PostAsJsonAsync(new Uri("/api/users", UriKind.Relative), new { name, role = "crew", password = "long-enough-password" }, Ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "'name': a user name cannot contain any of /");
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM users WHERE name = @name", new { name }));
    }

    [Fact]
    public async Task PasswordChange_EndsTheUsersApiTokens()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);
        var crew = await cloud.ClientForAsync("crew-qian", "crew");
        Assert.Equal(HttpStatusCode.OK, (await crew.GetAsync(new Uri("/api/work-orders", UriKind.Relative), Ct)).StatusCode);

        using (var changed = await cloud.Http.PostAsJsonAsync(new Uri("/api/users/crew-qian/password", UriKind.Relative), new { password = "a-new-long-password" }, Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await crew.GetAsync(new Uri("/api/work-orders", UriKind.Relative), Ct)).StatusCode);
        Assert.Equal(0, await cloud.CountAsync("SELECT COUNT(*) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.name = 'crew-qian'"));
    }

    // ---- Every error a problem detail -------------------------------------------------------------------------------

    [Fact]
    public async Task UnknownPath_WrongMethod_AndWrongMediaType_AnswerProblemDetails()
    {
        await using var broker = await MosquittoBroker.StartAsync(Ct);
        await using var cloud = await CloudHost.StartAsync(broker.Port, Ct);

        using (var notFound = await cloud.Http.GetAsync(new Uri("/api/no-such-thing", UriKind.Relative), Ct))
        {
            await AssertProblemAsync(notFound, HttpStatusCode.NotFound, "/api/no-such-thing");
        }

        using (var wrongMethod = await cloud.Http.DeleteAsync(new Uri("/api/alerts", UriKind.Relative), Ct))
        {
            await AssertProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed, "DELETE is not allowed");
        }

        using var text = new StringContent("name=x", Encoding.UTF8, "text/plain");
        using var wrongType = await cloud.Http.PostAsync(new Uri("/api/users", UriKind.Relative), text, Ct);
        await AssertProblemAsync(wrongType, HttpStatusCode.UnsupportedMediaType, "text/plain");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private static async Task<HttpClient> SignedInBrowserAsync(CloudHost cloud)
    {
        var browser = WebClients.Browser(cloud);
        using var signIn = await WebClients.SignInAsync(browser, CloudHost.AdminName, CloudHost.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return browser;
    }

    private static async Task<HttpResponseMessage> AddUserAsync(HttpClient client, string name, string? origin, string? referer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/users") { Content = JsonContent.Create(new { name, role = "crew", password = "long-enough-password" }) };
        request.Headers.Accept.ParseAdd("application/json");
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        if (referer is not null)
        {
            request.Headers.Referrer = new Uri(referer);
        }

        return await client.SendAsync(request, Ct);
    }

    private static async Task<long> OpenWorkOrderAsync(CloudHost cloud)
    {
        await cloud.Services.GetRequiredService<IngestPipeline>().ProcessAsync(
            [Messages.Event(1, DateTimeOffset.UtcNow, "lift-1", "elevator", "fault_code", 1, "trapped-at-floor")], Ct);
        return await cloud.CountAsync("SELECT id FROM work_orders");
    }

    private static async Task<HttpResponseMessage> OpenStreamAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/live/chargers");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        // An event stream never ends: its body is not read when the status already says the test failed.
        var body = response.StatusCode == status || response.Content.Headers.ContentType?.MediaType != "text/event-stream" ? await response.Content.ReadAsStringAsync(Ct) : "(an event stream)";
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailContains, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : throw new Xunit.Sdk.XunitException($"{response.RequestMessage?.RequestUri} has no {name} header");

    [GeneratedRegex("<script\\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();

    [GeneratedRegex("\\sstyle\\s*=|\\son[a-z]+\\s*=|<style\\b|javascript:", RegexOptions.IgnoreCase)]
    private static partial Regex InlineStyleOrHandler();
}

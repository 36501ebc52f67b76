using System.Globalization;
using static Microsoft.Playwright.Assertions;

namespace Facilities.Cloud.Pages.Tests;

/// <summary>The residents' page, anonymous, on a phone: it agrees with the simulated shed and follows it live.</summary>
public sealed class ChargerPageTests(PagesBed bed)
{
    [Fact]
    public async Task ChargerPage_ShowsTheSimulatorsFreePorts_AndFollowsAPortBeingTaken_WithoutReloading()
    {
        var page = await bed.OpenAsync(width: 375, height: 812);
        await page.GotoAsync("/chargers");
        var shed = page.Locator("article[data-shed]");
        await Expect(shed).ToHaveCountAsync(1);

        // The page's count is the simulator's (the gateway polls every 5 s, so allow it a few polls to agree).
        await Expect(shed).ToHaveAttributeAsync("data-free", FreePorts().ToString(CultureInfo.InvariantCulture), new() { Timeout = 30_000 });
        await Expect(page.Locator("#site-free")).ToContainTextAsync($"空闲 {FreePorts()} / 共 12", new() { Timeout = 30_000 });
        await PagesBed.ScreenshotAsync(page, "chargers-phone");
        var before = FreePorts();
        Assert.True(before > 0, "the shed has no free port to take");

        var port = FirstFreePort();
        var reloads = 0;
        page.Load += (_, _) => reloads++;
        Assert.True(bed.ShedModel.PlugIn(port, bed.Community.Clock.Now), $"port {port} could not be taken");
        await Expect(shed).ToHaveAttributeAsync("data-free", (before - 1).ToString(CultureInfo.InvariantCulture), new() { Timeout = 30_000 });
        await Expect(shed.Locator($"li[data-port='{port}']")).ToHaveAttributeAsync("data-state", "charging");
        await Expect(shed.Locator($"li[data-port='{port}'] .when")).ToContainTextAsync("预计");
        Assert.Equal(0, reloads);
    }

    [Fact]
    public async Task ChargerPage_InEnglish_ShowsTheSameCount_AndTheLanguageSticks()
    {
        var page = await bed.OpenAsync(width: 1280, height: 900);
        await page.GotoAsync("/chargers");
        await page.ClickAsync("a.lang");
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(page.Locator("#site-free")).ToContainTextAsync(" free", new() { Timeout = 30_000 });
        await page.ReloadAsync();
        await Expect(page.Locator("h1, .brand").First).ToContainTextAsync("Community Facilities");
        await Expect(page.Locator("article[data-shed]")).ToHaveAttributeAsync("data-free", FreePorts().ToString(CultureInfo.InvariantCulture), new() { Timeout = 30_000 });
        await PagesBed.ScreenshotAsync(page, "chargers-desktop-en");
    }

    [Fact]
    public async Task ChargerPage_ShowsAnOfflineShedAsUnknown_NeverFree_AndRecovers()
    {
        var page = await bed.OpenAsync(width: 375, height: 812);
        await page.GotoAsync("/chargers");
        var shed = page.Locator("article[data-shed]");
        await Expect(shed).ToHaveAttributeAsync("data-status", "available", new() { Timeout = 30_000 });

        bed.ShedModel.Inject("comm-offline", bed.Community.Clock.Now); // stops answering Modbus: the gateway reports it offline
        try
        {
            await Expect(shed).ToHaveAttributeAsync("data-status", "offline", new() { Timeout = 60_000 });
            await Expect(shed).ToHaveAttributeAsync("data-free", string.Empty);
            await Expect(shed.Locator(".free-count")).ToHaveTextAsync("状态未知");
            await Expect(shed.Locator("li[data-state='free']")).ToHaveCountAsync(0);
            await Expect(shed.Locator("li[data-state='unknown']")).ToHaveCountAsync(12);
            await PagesBed.ScreenshotAsync(page, "chargers-offline-phone");
        }
        finally
        {
            bed.ShedModel.Clear("comm-offline", bed.Community.Clock.Now);
        }

        await Expect(shed).ToHaveAttributeAsync("data-status", "available", new() { Timeout = 60_000 });
        await Expect(shed).ToHaveAttributeAsync("data-free", FreePorts().ToString(CultureInfo.InvariantCulture), new() { Timeout = 30_000 });
    }

    private int FreePorts()
    {
        var values = bed.ShedModel.Values();
        return Enumerable.Range(1, bed.ShedModel.PortCount).Count(n => values[$"port_{n}_status"] == 0 && values[$"port_{n}_fault_code"] == 0);
    }

    private int FirstFreePort()
    {
        var values = bed.ShedModel.Values();
        return Enumerable.Range(1, bed.ShedModel.PortCount).First(n => values[$"port_{n}_status"] == 0);
    }
}

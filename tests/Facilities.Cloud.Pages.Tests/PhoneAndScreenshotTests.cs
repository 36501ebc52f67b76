using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Facilities.Cloud.Pages.Tests;

/// <summary>
/// Every page fits a 375-px phone without sideways scrolling, and renders on a desktop. With
/// <c>FACILITIES_SCREENSHOTS=docs/screenshots</c> set, each page is saved in both sizes (docs/pages.md).
/// </summary>
public sealed class PhoneAndScreenshotTests(PagesBed bed)
{
    public static TheoryData<string, string?, string, string> Pages => new()
    {
        { "chargers", null, "/chargers", "article[data-shed]" },
        { "sign-in", null, "/sign-in", "input[name=password]" },
        { "console", PagesBed.Engineer, "/console", "#order-count" },
        { "elevators", PagesBed.Crew, "/elevators", "li[data-device]" },
        { "elevator", PagesBed.Crew, "/elevators/lift-1?site=estate", "#chart-recent-trips svg" },
        { "users", Facilities.Cloud.Tests.EndToEnd.CloudHost.AdminName, "/admin/users", "tr[data-user]" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_FitsA375PixelPhone_AndRendersOnADesktop(string name, string? user, string path, string ready)
    {
        foreach (var (size, width, height) in new[] { ("phone", 375, 812), ("desktop", 1280, 900) })
        {
            var page = await bed.OpenAsync(user, width, height);
            await page.GotoAsync(path);
            await Expect(page.Locator(ready).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
            await Expect(page.Locator("#error")).ToBeHiddenAsync();
            var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"{path} is {overflow} px wider than a {width}-px screen");
            await PagesBed.ScreenshotAsync(page, $"{name}-{size}");
            await page.Context.CloseAsync();
        }
    }
}

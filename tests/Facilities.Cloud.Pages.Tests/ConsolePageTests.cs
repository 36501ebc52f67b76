using System.Diagnostics;
using static Microsoft.Playwright.Assertions;

namespace Facilities.Cloud.Pages.Tests;

/// <summary>An engineer sees a trapped passenger appear, acknowledges it and resolves its work order, all in the page.</summary>
public sealed class ConsolePageTests(PagesBed bed)
{
    [Fact]
    public async Task TrappedPassenger_AppearsWithinSeconds_IsAcknowledged_AndItsWorkOrderResolved_ThroughTheConsole()
    {
        var page = await bed.OpenAsync(PagesBed.Engineer);
        await page.GotoAsync("/console");
        await Expect(page.Locator("#live")).ToHaveTextAsync("实时");

        var lift = bed.Community.Find("lift-2")!;
        var clock = Stopwatch.StartNew();
        lift.Inject("trapped-at-floor", bed.Community.Clock.Now);
        var alert = page.Locator("li[data-rule='elevator.trapped-at-floor'][data-device='lift-2']");
        await Expect(alert).ToBeVisibleAsync(new() { Timeout = 30_000 });
        clock.Stop();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the alert took {clock.Elapsed.TotalSeconds:0.0} s to appear");
        await Expect(alert).ToContainTextAsync("紧急");
        await Expect(alert).ToContainTextAsync("estate · b01 · lift-2");

        var order = page.Locator("li[data-order-id][data-device='lift-2']");
        await Expect(order).ToBeVisibleAsync();
        await Expect(order).ToContainTextAsync("李明");
        await Expect(order.Locator(".countdown")).ToContainTextAsync("剩余");
        await PagesBed.ScreenshotAsync(page, "console-desktop");

        await alert.Locator("button[data-action=acknowledge]").ClickAsync();
        await Expect(alert).ToHaveAttributeAsync("data-state", "acknowledged");
        await Expect(alert).ToContainTextAsync(PagesBed.Engineer);
        Assert.Equal(1, await bed.Cloud.CountAsync(
            "SELECT COUNT(*) FROM alerts WHERE rule_id = 'elevator.trapped-at-floor' AND device = 'lift-2' AND acknowledged_by = @by", new { by = PagesBed.Engineer }));

        await order.Locator("button[data-action=details]").ClickAsync();
        await Expect(order.Locator(".timeline")).ToContainTextAsync("创建");
        await order.Locator("input[name=note]").FillAsync("乘客已解救");
        await order.Locator("button[data-action=note]").ClickAsync();
        await Expect(order.Locator(".timeline")).ToContainTextAsync("乘客已解救");
        await PagesBed.ScreenshotAsync(page, "console-order-desktop");

        // An entrapment's order is a rescue: the crew records its arrival and the passenger's release, once each.
        await order.Locator("button[data-action=arrive]").ClickAsync();
        await Expect(order.Locator(".timeline")).ToContainTextAsync("到达现场");
        await Expect(order.Locator("button[data-action=arrive]")).ToHaveCountAsync(0);
        await order.Locator("button[data-action=release]").ClickAsync();
        await Expect(order.Locator("button[data-action=release]")).ToHaveCountAsync(0);
        Assert.Equal(2, await bed.Cloud.CountAsync(
            "SELECT COUNT(*) FROM work_orders o JOIN work_order_events e ON e.order_id = o.id WHERE o.device = 'lift-2' AND e.action IN ('arrived', 'passenger-released') AND e.actor = @by",
            new { by = PagesBed.Engineer }));
        await order.Locator("button[data-action=resolve]").ClickAsync();
        await Expect(order).ToHaveCountAsync(0); // the default filter shows active orders only
        Assert.Equal(1, await bed.Cloud.CountAsync(
            "SELECT COUNT(*) FROM work_orders o JOIN work_order_events e ON e.order_id = o.id WHERE o.device = 'lift-2' AND o.status = 'resolved' AND e.action = 'resolved' AND e.actor = @by",
            new { by = PagesBed.Engineer }));

        await page.SelectOptionAsync("#status", "resolved");
        await Expect(page.Locator("li[data-order-id][data-device='lift-2'][data-status='resolved']")).ToBeVisibleAsync();
        lift.Clear("trapped-at-floor", bed.Community.Clock.Now);
        await Expect(alert).ToHaveCountAsync(0, new() { Timeout = 30_000 });
    }
}

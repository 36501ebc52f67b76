using Facilities.Cloud.Domain.Maintenance;

namespace Facilities.Cloud.Domain.Tests.Maintenance;

public sealed class MaintenanceWindowsTests
{
    private static readonly DateTimeOffset From = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = From.AddHours(2);

    private static MaintenanceWindow Window(string? building = null, string? device = null) =>
        new() { Site = "estate", Building = building, Device = device, From = From, To = To, Reason = "annual inspection" };

    [Fact]
    public void Covering_DeviceInItsWindow_GivesTheReasonAndTheEnd() =>
        Assert.Equal("annual inspection (until 2026-11-22 10:00 UTC)", MaintenanceWindows.Covering([Window(device: "lift-2")], "estate", "b01", "lift-2", From));

    [Fact]
    public void Covering_WindowEndsExclusive_StartsInclusive()
    {
        Assert.NotNull(MaintenanceWindows.Covering([Window()], "estate", "b01", "lift-1", From));
        Assert.Null(MaintenanceWindows.Covering([Window()], "estate", "b01", "lift-1", To));
        Assert.Null(MaintenanceWindows.Covering([Window()], "estate", "b01", "lift-1", From.AddTicks(-1)));
    }

    [Fact]
    public void Covering_SiteWideWindow_CoversEveryDeviceOfThatSiteOnly()
    {
        Assert.NotNull(MaintenanceWindows.Covering([Window()], "estate", "b07", "boiler-1", From));
        Assert.Null(MaintenanceWindows.Covering([Window()], "other-estate", "b07", "boiler-1", From));
    }

    [Fact]
    public void Covering_BuildingWindow_LeavesOtherBuildingsAlone()
    {
        Assert.NotNull(MaintenanceWindows.Covering([Window(building: "b01")], "estate", "b01", "lift-1", From));
        Assert.Null(MaintenanceWindows.Covering([Window(building: "b01")], "estate", "b02", "lift-1", From));
    }

    [Fact]
    public void Covering_DeviceWindow_LeavesOtherDevicesAlone() =>
        Assert.Null(MaintenanceWindows.Covering([Window(device: "lift-2")], "estate", "b01", "lift-1", From));
}

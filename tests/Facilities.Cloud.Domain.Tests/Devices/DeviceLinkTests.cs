using Facilities.Cloud.Domain.Devices;

namespace Facilities.Cloud.Domain.Tests.Devices;

public sealed class DeviceLinkTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(11);

    [Fact]
    public void Of_GatewayDown_IsOfflineBecauseOfTheGateway_WhateverTheDeviceLastSaid()
    {
        var link = DeviceLink.Of("shed", "online", "offline", Now, Now, StaleAfter);
        Assert.Equal(new DeviceLink(DeviceLink.Offline, "gateway offline"), link);
    }

    [Fact]
    public void Of_DeviceDown_IsOfflineNamingTheDevice()
    {
        var link = DeviceLink.Of("elevator", "offline", "online", Now, Now, StaleAfter);
        Assert.Equal(new DeviceLink(DeviceLink.Offline, "elevator offline"), link);
    }

    [Fact]
    public void Of_UnknownGateway_GoesByTheDevice()
    {
        Assert.Equal(DeviceLink.Online, DeviceLink.Of("shed", "online", null, Now, Now, StaleAfter).Status);
    }

    [Fact]
    public void Of_SilentExactlyTheStaleLimit_IsStillOnline_OneMomentLongerIsStale()
    {
        Assert.Equal(DeviceLink.Online, DeviceLink.Of("shed", "online", "online", Now - StaleAfter, Now, StaleAfter).Status);
        var stale = DeviceLink.Of("shed", "online", "online", Now - StaleAfter - TimeSpan.FromSeconds(1), Now, StaleAfter);
        Assert.Equal(new DeviceLink(DeviceLink.Stale, "nothing heard for 11 min"), stale);
    }
}

using Facilities.Gateway.Polling;

namespace Facilities.Gateway.Tests;

public sealed class PollingPolicyTests
{
    private static readonly PollingPolicy Policy = new() { MaxBackoff = TimeSpan.FromMinutes(5) };

    [Fact]
    public void WaitAfterFailure_TimeoutLongerThanInterval_StartsAtTwiceTheTimeoutAndDoubles()
    {
        var (interval, timeout) = (TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500));
        Assert.Equal(
            [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)],
            Enumerable.Range(1, 4).Select(n => Policy.WaitAfterFailure(n, interval, timeout)));
    }

    [Fact]
    public void WaitAfterFailure_QuickFailureOnASlowInterval_StartsAtTheInterval()
    {
        var interval = TimeSpan.FromSeconds(10);
        Assert.Equal(interval, Policy.WaitAfterFailure(1, interval, TimeSpan.FromMilliseconds(2)));
        Assert.Equal(interval * 4, Policy.WaitAfterFailure(3, interval, TimeSpan.FromMilliseconds(2)));
    }

    [Fact]
    public void WaitAfterFailure_ManyFailures_StopsAtMaxBackoff()
    {
        Assert.Equal(Policy.MaxBackoff, Policy.WaitAfterFailure(40, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        Assert.Equal(Policy.MaxBackoff, Policy.WaitAfterFailure(int.MaxValue, TimeSpan.FromHours(2), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void WaitAfterFailure_DeadDeviceOnASharedLine_TakesAtMostAThirdOfTheLine()
    {
        // Each failed poll holds the line for one timeout; from then on the device waits before it is tried again.
        var timeout = TimeSpan.FromMilliseconds(500);
        var held = TimeSpan.Zero;
        var elapsed = TimeSpan.Zero;
        for (var n = 1; n <= 10; n++)
        {
            held += timeout;
            elapsed += timeout + Policy.WaitAfterFailure(n, TimeSpan.FromMilliseconds(100), timeout);
            Assert.True(held / elapsed <= 1 / 3.0 + 1e-9, $"after {n} failures the device held {held / elapsed:P0} of the line");
        }
    }
}

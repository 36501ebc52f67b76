using Facilities.Cloud.Access;

namespace Facilities.Cloud.Tests.Access;

/// <summary>The sign-in throttle's arithmetic, on a hand-moved clock: per name and address, growing waits, a per-name cap that spares clean addresses.</summary>
public sealed class SignInThrottleTests
{
    private static readonly AccessOptions Options = Throttling(perName: 100);

    private static AccessOptions Throttling(int perName) => new()
    {
        SignInFreeFailures = 2, SignInFirstDelay = TimeSpan.FromSeconds(2), SignInMaxDelay = TimeSpan.FromSeconds(10), SignInPerUserPer5Minutes = perName,
    };

    [Fact]
    public void Delay_DoublesAfterTheFreeFailures_UpToTheLongest()
    {
        var throttle = new SignInThrottle(Options, new ManualClock(DateTimeOffset.UnixEpoch));

        Assert.Equal(
            [null, null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)],
            Enumerable.Range(0, 7).Select(throttle.Delay));
    }

    [Fact]
    public void Check_AfterAFailingAddressWaited_LetsItTryAgain_AndASuccessClearsIt()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var throttle = new SignInThrottle(Options, clock);
        throttle.Failed("wang", "10.0.0.1");
        throttle.Failed("WANG", "10.0.0.1"); // names compare case-insensitively

        Assert.Equal(TimeSpan.FromSeconds(2), throttle.Check("wang", "10.0.0.1"));
        Assert.Null(throttle.Check("wang", "10.0.0.2"));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(throttle.Check("wang", "10.0.0.1"));
        throttle.Succeeded("wang", "10.0.0.1");
        throttle.Failed("wang", "10.0.0.1");
        Assert.Null(throttle.Check("wang", "10.0.0.1"));
    }

    [Fact]
    public void Check_WhenTheNamesCapIsSpent_RefusesFailingAddressesOnly_UntilTheWindowEnds()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var throttle = new SignInThrottle(Throttling(perName: 3), clock);
        throttle.Failed("wang", "10.0.0.1");
        throttle.Failed("wang", "10.0.0.2");
        throttle.Failed("wang", "10.0.0.3");

        Assert.NotNull(throttle.Check("wang", "10.0.0.1"));
        Assert.Null(throttle.Check("wang", "10.0.0.9"));
        Assert.Null(throttle.Check("li", "10.0.0.1"));
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(throttle.Check("wang", "10.0.0.1"));
    }
}

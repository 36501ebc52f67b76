using System.Diagnostics;
using Facilities.Modbus.Transport;

namespace Facilities.Modbus.Tests.Transport;

/// <summary>
/// Lateness depends on the machine's load, so these tests only hold the delay to what it promises everywhere: never
/// early, always completes, cancellation honoured.
/// </summary>
public sealed class PreciseDelayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long In(TimeSpan wait) => Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.75)]
    [InlineData(4.0)]
    [InlineData(12.0)]
    public async Task UntilAsync_AnyWait_NeverEndsBeforeTheDeadline(double milliseconds)
    {
        for (var i = 0; i < 20; i++)
        {
            var until = In(TimeSpan.FromMilliseconds(milliseconds));
            await PreciseDelay.UntilAsync(until, Ct);
            Assert.True(Stopwatch.GetTimestamp() >= until, $"ended {Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until).TotalMicroseconds:0} µs early");
        }
    }

    [Fact]
    public async Task UntilAsync_DeadlinePassed_CompletesAtOnce()
    {
        var task = PreciseDelay.UntilAsync(Stopwatch.GetTimestamp() - 1, Ct);
        Assert.True(task.IsCompletedSuccessfully);
        await task;
    }

    [Fact]
    public async Task UntilAsync_ManyConcurrentWaits_AllCompleteNoneEarly()
    {
        var random = new Random(4);
        var deadlines = Enumerable.Range(0, 500).Select(_ => In(TimeSpan.FromMicroseconds(random.Next(0, 8000)))).ToList();
        var ended = await Task.WhenAll(deadlines.Select(async until =>
        {
            await PreciseDelay.UntilAsync(until, Ct);
            return Stopwatch.GetTimestamp();
        }));

        Assert.All(deadlines.Zip(ended), pair => Assert.True(pair.Second >= pair.First));
    }

    [Fact]
    public async Task UntilAsync_Cancelled_EndsCancelledBeforeTheDeadline()
    {
        using var cancel = new CancellationTokenSource();
        var until = In(TimeSpan.FromSeconds(30));
        var waiting = PreciseDelay.UntilAsync(until, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.True(Stopwatch.GetTimestamp() < until);
    }

    [Fact]
    public async Task UntilAsync_CancelledWhileQueuedOnTheTimerThread_EndsCancelledAndOtherWaitsStillComplete()
    {
        using var cancel = new CancellationTokenSource();
        var other = In(TimeSpan.FromMilliseconds(4));
        var otherWait = PreciseDelay.UntilAsync(other, Ct).AsTask();
        var until = In(TimeSpan.FromMilliseconds(4.5));
        var waiting = PreciseDelay.UntilAsync(until, cancel.Token).AsTask();
        cancel.Cancel();
        var cancelledAt = Stopwatch.GetTimestamp();

        var outcome = await Record.ExceptionAsync(() => waiting);
        if (cancelledAt < until)
        {
            // Only a wait cancelled before its deadline must end cancelled; a machine this loaded decides nothing.
            Assert.IsAssignableFrom<OperationCanceledException>(outcome);
        }

        await otherWait;
        Assert.True(Stopwatch.GetTimestamp() >= other);
    }

    [Fact]
    public async Task UntilAsync_AlreadyCancelledToken_EndsCancelled()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PreciseDelay.UntilAsync(In(TimeSpan.FromMilliseconds(2)), cancel.Token).AsTask());
    }
}

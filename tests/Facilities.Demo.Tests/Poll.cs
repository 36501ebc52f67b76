using System.Diagnostics;

namespace Facilities.Demo.Tests;

/// <summary>Polls a condition until it holds, failing with what was awaited once the limit passes.</summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, string what, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}");
            }

            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan limit) =>
        UntilAsync<object>(async () => await condition() ? new object() : null, what, limit);
}

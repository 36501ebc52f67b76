using System.Diagnostics;

namespace Facilities.Cloud.Tests.EndToEnd;

/// <summary>Polls a condition until it holds, failing with what was awaited once <c>limit</c> passes.</summary>
internal static class Eventually
{
    /// <param name="eachPoll">Runs after every unsuccessful poll (a test moving its clock, for instance).</param>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan limit, TimeSpan poll, Action? eachPoll = null)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}");
            }

            await Task.Delay(poll, TestContext.Current.CancellationToken);
            eachPoll?.Invoke();
        }
    }
}

using System.Diagnostics;

namespace Facilities.Testing;

/// <summary>
/// Waits for what a test asserts instead of sleeping: polls a condition until it holds, and fails with what was
/// awaited once a generous limit passes (CI machines are loaded).
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(50);
    private static readonly object Held = new();

    /// <summary>
    /// Polls <paramref name="probe"/> until it returns a value, and returns that value. <paramref name="poll"/> is the
    /// pause between probes (50 ms unless given); <paramref name="eachPoll"/> runs after every unsuccessful probe (a
    /// test moving its clock, for instance).
    /// </summary>
    public static async Task<T> FoundAsync<T>(
        Func<Task<T?>> probe, string what, TimeSpan limit, CancellationToken cancellationToken, TimeSpan? poll = null, Action? eachPoll = null) =>
        await ProbeAsync(probe, limit, poll, eachPoll, cancellationToken) is { } found
            ? found
            : throw new TimeoutException($"waited {limit.TotalSeconds:0.#} s for {what}");

    /// <summary>Polls <paramref name="condition"/> until it holds.</summary>
    public static Task HoldsAsync(
        Func<Task<bool>> condition, string what, TimeSpan limit, CancellationToken cancellationToken, TimeSpan? poll = null, Action? eachPoll = null) =>
        FoundAsync(async () => await condition() ? Held : null, what, limit, cancellationToken, poll, eachPoll);

    /// <summary>Polls <paramref name="condition"/> (a cheap, synchronous one) until it holds.</summary>
    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan limit, CancellationToken cancellationToken, TimeSpan? poll = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, limit, cancellationToken, poll);

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds or <paramref name="limit"/> passes, and says which; for a
    /// caller that asserts the outcome itself with a better message than a timeout.
    /// </summary>
    public static async Task<bool> HoldsWithinAsync(Func<Task<bool>> condition, TimeSpan limit, CancellationToken cancellationToken, TimeSpan? poll = null) =>
        await ProbeAsync(async () => await condition() ? Held : null, limit, poll, eachPoll: null, cancellationToken) is not null;

    /// <inheritdoc cref="HoldsWithinAsync(Func{Task{bool}}, TimeSpan, CancellationToken, TimeSpan?)"/>
    public static Task<bool> HoldsWithinAsync(Func<bool> condition, TimeSpan limit, CancellationToken cancellationToken, TimeSpan? poll = null) =>
        HoldsWithinAsync(() => Task.FromResult(condition()), limit, cancellationToken, poll);

    private static async Task<T?> ProbeAsync<T>(Func<Task<T?>> probe, TimeSpan limit, TimeSpan? poll, Action? eachPoll, CancellationToken cancellationToken)
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
                return default;
            }

            await Task.Delay(poll ?? DefaultPoll, cancellationToken);
            eachPoll?.Invoke();
        }
    }
}

using System.Data.Common;

namespace Facilities.Cloud.Outbox;

/// <summary>
/// Works one kind of outbox: every pass gives up on rows whose last attempt never reported back, reads the due rows,
/// claims each (safe with several instances), sends it through the kind's <see cref="IOutboxDelivery{TMessage}"/>,
/// and records the attempt — delivered; queued again after <see cref="OutboxPolicy.RetryDelay"/>; or, after
/// <see cref="OutboxPolicy.MaxAttempts"/>, failed with the last error.
/// </summary>
internal sealed class OutboxDispatcher<TMessage>(OutboxStore<TMessage> store, IOutboxDelivery<TMessage> delivery, OutboxPolicy policy, TimeProvider time)
    where TMessage : IOutboxMessage
{
    /// <summary>Passes until <paramref name="stoppingToken"/> is cancelled; a full batch is followed by the next pass at once.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var seen = 0;
            try
            {
                seen = await DispatchDueAsync(stoppingToken);
            }
            catch (Exception error) when (error is DbException or InvalidOperationException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                delivery.OnPassFailed(error);
            }

            if (seen < policy.BatchSize)
            {
                try
                {
                    await Task.Delay(policy.PollInterval, time, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One pass: sends what is due now; returns how many due rows it saw (claimed by this instance or not).</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var abandoned = await store.AbandonAsync(now, policy.MaxAttempts, cancellationToken);
        if (abandoned > 0)
        {
            delivery.OnAbandoned(abandoned);
        }

        var due = await store.DueAsync(now, policy.BatchSize, policy.MaxAttempts, cancellationToken);
        await Parallel.ForEachAsync(
            due, new ParallelOptions { MaxDegreeOfParallelism = policy.Concurrency, CancellationToken = cancellationToken }, DispatchOneAsync);
        return due.Count;
    }

    private async ValueTask DispatchOneAsync(long key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (await store.ClaimAsync(key, now, now + policy.LeaseTime, policy.MaxAttempts, cancellationToken) is not { } claimed)
        {
            return; // another instance has it
        }

        var started = time.GetTimestamp();
        var result = await SendAsync(claimed, cancellationToken);
        var finished = time.GetUtcNow();
        var (outcome, next) = result.Delivered ? (OutboxOutcome.Delivered, finished)
            : claimed.Attempt >= policy.MaxAttempts ? (OutboxOutcome.Failed, finished)
            : (OutboxOutcome.Retrying, finished + policy.RetryDelay(claimed.Attempt));
        await store.RecordAsync(claimed, result, outcome, next, finished, time.GetElapsedTime(started), cancellationToken);
        delivery.OnRecorded(claimed, result, outcome, next);
    }

    /// <summary>Sends one claimed row; every failure, refusal or transport error, comes back as a failed result to record.</summary>
    private async Task<DeliveryResult> SendAsync(TMessage claimed, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(policy.SendTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await delivery.SendAsync(claimed, linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Failed($"no answer within {policy.SendTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return DeliveryResult.Failed($"{error.GetType().Name}: {error.Message}");
        }
    }
}

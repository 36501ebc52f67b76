using Facilities.Modbus.Master;

namespace Facilities.Gateway.Polling;

/// <summary>
/// Polls a set of devices one transaction at a time over one master — a serial line, an RTU-over-TCP converter,
/// or a single TCP device. The device due soonest goes next (higher priority first on ties); a device that is
/// backing off is simply due later, so a dead device costs its neighbours at most one timeout per backoff period.
/// </summary>
public sealed class PollLane(string name, ModbusMaster master, IReadOnlyList<DevicePoller> devices, TimeProvider time, SemaphoreSlim? concurrency = null)
{
    public string Name { get; } = name;

    public IReadOnlyList<DevicePoller> Devices { get; } = devices;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var next = Devices.MinBy(d => (d.NextDue, -d.Priority))!;
            var wait = next.NextDue - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (concurrency is not null)
            {
                await concurrency.WaitAsync(cancellationToken);
            }

            try
            {
                await next.PollAsync(master, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                concurrency?.Release();
            }
        }
    }
}

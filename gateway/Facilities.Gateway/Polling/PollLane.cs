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

    /// <summary>Polls until <paramref name="cancellationToken"/> stops the lane; stopping ends it normally, wherever it was.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var next = Devices.MinBy(d => (d.NextDue, -d.Priority))!;
                var wait = next.NextDue - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken);
                }

                await PollAsync(next, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown: the wait for the next device, for the bus's request limit, or the poll in flight was cut short.
        }
    }

    private async Task PollAsync(DevicePoller device, CancellationToken cancellationToken)
    {
        if (concurrency is null)
        {
            await device.PollAsync(master, cancellationToken);
            return;
        }

        // Devices on one TCP endpoint share its limit of requests in flight: a lane may wait here for a neighbour.
        await concurrency.WaitAsync(cancellationToken);
        try
        {
            await device.PollAsync(master, cancellationToken);
        }
        finally
        {
            concurrency.Release();
        }
    }
}

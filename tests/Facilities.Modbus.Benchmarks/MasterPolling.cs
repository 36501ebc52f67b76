using System.Diagnostics;
using Facilities.Modbus.Master;

namespace Facilities.Modbus.Benchmarks;

/// <summary>
/// Our master reading 10 holding registers over one or more connections to one server, each connection one request
/// at a time (a poller's pattern), counted over a timed window after a warm-up.
/// </summary>
internal static class MasterPolling
{
    public const ushort Registers = 10;

    /// <summary>Aggregate transactions per second over one connection to each of <paramref name="ports"/> (repeats allowed).</summary>
    public static async Task<double> MeasureAsync(IReadOnlyList<int> ports, TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        var pollers = ports
            .Select(port => new Poller(ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = port, MaxRequestsInFlight = 1 })))
            .ToArray();

        try
        {
            foreach (var poller in pollers)
            {
                await poller.Master.ConnectAsync(cancellationToken);
            }

            var loops = pollers.Select(p => p.PollAsync(cancellationToken)).ToArray();
            await Task.Delay(warmup, cancellationToken);
            var before = pollers.Sum(p => p.Transactions);
            var clock = Stopwatch.StartNew();
            await Task.Delay(duration, cancellationToken);
            var after = pollers.Sum(p => p.Transactions);
            var elapsed = clock.Elapsed;
            foreach (var poller in pollers)
            {
                poller.Stop();
            }

            await Task.WhenAll(loops);
            return (after - before) / elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var poller in pollers)
            {
                await poller.Master.DisposeAsync();
            }
        }
    }

    private sealed class Poller(ModbusMaster master)
    {
        private long _transactions;
        private volatile bool _stopping;

        public ModbusMaster Master => master;

        public long Transactions => Volatile.Read(ref _transactions);

        public void Stop() => _stopping = true;

        public async Task PollAsync(CancellationToken cancellationToken)
        {
            // The array-returning overload: what a poller that keeps its readings calls.
            var first = await master.ReadHoldingRegistersAsync(1, 0, Registers, cancellationToken);
            for (var i = 0; i < Registers; i++)
            {
                if (first.Value[i] != i)
                {
                    throw new InvalidOperationException($"{master.Endpoint}: register {i} reads {first.Value[i]}, expected {i}");
                }
            }

            while (!_stopping)
            {
                _ = (await master.ReadHoldingRegistersAsync(1, 0, Registers, cancellationToken)).Value;
                Volatile.Write(ref _transactions, _transactions + 1);
            }
        }
    }
}

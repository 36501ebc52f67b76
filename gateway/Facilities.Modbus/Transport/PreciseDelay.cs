using System.Diagnostics;

namespace Facilities.Modbus.Transport;

/// <summary>
/// Waits until a <see cref="Stopwatch"/> timestamp to within a few microseconds, never earlier, for the RTU line's
/// t3.5 guard. .NET timers (<c>Task.Delay</c>) run on the kernel's coarse clock (4 ms steps with CONFIG_HZ=250), so
/// a 1.75 ms delay ends anywhere from 1 to 4 ms later: sometimes before t3.5 is over, mostly a good part of a frame
/// too late. Here one dedicated background thread, started on first use, serves every wait in the process: with
/// nothing pending it blocks until a wait arrives; while waits are pending it sleeps in 1 ms steps (a kernel
/// high-resolution sleep, accurate to about 0.1 ms) and spins only the last stretch before the earliest one is due,
/// then completes the due waits, whose continuations run on the thread pool. Only the last
/// <see cref="TimerSlack"/> of a wait reaches the thread; what lies before it goes to an ordinary timer.
/// </summary>
internal static class PreciseDelay
{
    /// <summary>How late a .NET timer may fire: one coarse clock step and some scheduling.</summary>
    private static readonly TimeSpan TimerSlack = TimeSpan.FromMilliseconds(5);

    /// <summary>A 1 ms sleep takes 1.05 to 1.2 ms, so closer than this the thread spins instead.</summary>
    private static readonly long SpinBelow = Stopwatch.Frequency * 125 / 100_000;

    private static readonly object Gate = new();
    private static readonly PriorityQueue<Waiter, long> Pending = new();
    private static Thread? _thread;

    /// <summary>Completes once <see cref="Stopwatch.GetTimestamp"/> has reached <paramref name="timestamp"/>.</summary>
    public static async ValueTask UntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        var coarse = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp) - TimerSlack;
        if (coarse > TimeSpan.Zero)
        {
            await Task.Delay(coarse, cancellationToken);
        }

        if (Stopwatch.GetTimestamp() < timestamp)
        {
            await Enqueue(timestamp, cancellationToken);
        }
    }

    private static Task Enqueue(long timestamp, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new Waiter();
        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) => Cancel((Waiter)state!, token), waiter);
        }

        lock (Gate)
        {
            if (!waiter.Completion.Task.IsCompleted)
            {
                Pending.Enqueue(waiter, timestamp);
                if (_thread is null)
                {
                    _thread = new Thread(Run) { IsBackground = true, Name = "Modbus precise delay" };
                    _thread.Start();
                }

                // The thread may be sleeping for nothing or for a later wait; let it look again.
                Monitor.Pulse(Gate);
            }
        }

        return waiter.Completion.Task;
    }

    private static void Cancel(Waiter waiter, CancellationToken token)
    {
        lock (Gate)
        {
            Pending.Remove(waiter, out _, out _);
        }

        waiter.Completion.TrySetCanceled(token);
    }

    private static void Run()
    {
        var due = new List<Waiter>();
        while (true)
        {
            var spin = false;
            lock (Gate)
            {
                var now = Stopwatch.GetTimestamp();
                while (Pending.TryPeek(out _, out var at) && at <= now)
                {
                    due.Add(Pending.Dequeue());
                }

                if (due.Count == 0)
                {
                    if (!Pending.TryPeek(out _, out var next))
                    {
                        Monitor.Wait(Gate);
                    }
                    else if (next - now > SpinBelow)
                    {
                        Monitor.Wait(Gate, 1);
                    }
                    else
                    {
                        spin = true;
                    }
                }
            }

            if (spin)
            {
                // Outside the lock, so new waits can come in meanwhile.
                Thread.SpinWait(20);
            }

            foreach (var waiter in due)
            {
                waiter.Registration.Unregister();
                waiter.Completion.TrySetResult();
            }

            due.Clear();
        }
    }

    private sealed class Waiter
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}

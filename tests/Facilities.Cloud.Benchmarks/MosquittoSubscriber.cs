using System.Diagnostics;
using System.Globalization;
using Facilities.Testing;

namespace Facilities.Cloud.Benchmarks;

/// <summary>
/// The reference consumer: <c>mosquitto_sub</c> (libmosquitto, C) with a persistent session (<c>-c -i bench-sub-1 -q 1</c>)
/// on every gateway topic, printing each payload to /dev/null. It does nothing with a message but receive, acknowledge
/// and print it — the rate at which the broker can hand this backlog out over one connection.
/// </summary>
internal sealed class MosquittoSubscriber(int port, string clientId)
{
    private const string Executable = "/usr/bin/mosquitto_sub";
    private const string Filter = "facilities/v1/#";

    /// <summary>Connects once, subscribes and leaves (<c>-E</c>), so the broker queues what is published next.</summary>
    public async Task CreateSessionAsync(CancellationToken cancellationToken)
    {
        var exit = await RunAsync($"{Common} -E", cancellationToken);
        if (exit != 0)
        {
            throw new InvalidOperationException($"mosquitto_sub could not create its session (exit code {exit})");
        }
    }

    /// <summary>Runs <c>mosquitto_sub -C count</c> until it has received the whole backlog; the wall time, process start included.</summary>
    public async Task<TimeSpan> DrainAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var exit = await RunAsync(string.Create(CultureInfo.InvariantCulture, $"{Common} -C {count} -W {(int)timeout.TotalSeconds}"), cancellationToken);
        clock.Stop();
        if (exit != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"mosquitto_sub did not receive {count} messages within {timeout.TotalSeconds} s (exit code {exit})"));
        }

        return clock.Elapsed;
    }

    public string ClientId => clientId;

    private string Common => string.Create(CultureInfo.InvariantCulture, $"{Executable} -h 127.0.0.1 -p {port} -c -i {clientId} -q 1 -t '{Filter}'");

    /// <summary>Through <c>sh -c 'exec …'</c> only for the redirection to /dev/null: the shell becomes mosquitto_sub.</summary>
    private static async Task<int> RunAsync(string command, CancellationToken cancellationToken)
    {
        var run = await ChildProcess.RunAsync("/bin/sh", ["-c", $"exec {command} > /dev/null"], Timeout.InfiniteTimeSpan, cancellationToken);
        if (run.Stderr.Length > 0)
        {
            await Console.Error.WriteAsync($"mosquitto_sub: {run.Stderr}");
        }

        return run.ExitCode;
    }
}

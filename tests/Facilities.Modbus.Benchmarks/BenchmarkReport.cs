using System.Text;
using Facilities.Benchmarks.Shared;

namespace Facilities.Modbus.Benchmarks;

/// <summary>Renders the Modbus section of docs/benchmarks.md from one run's results. Pure: the caller writes the section.</summary>
internal static class BenchmarkReport
{
    /// <summary>The markers of this benchmark's section in docs/benchmarks.md.</summary>
    public const string Section = "modbus-benchmark";

    public static string Write(
        MachineDescription machine, string libmodbusVersion, IReadOnlyList<ThroughputResults> throughputs, AllocationResults allocations, string command,
        DateTimeOffset when)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(Targets.Invariant(line));

        ReportHeader.Append(text, "Modbus benchmark: Facilities.Modbus vs libmodbus", command, when, "", machine,
            ("libmodbus", $"{libmodbusVersion}, Debian `libmodbus-dev`; C programs built with `gcc -O2`"));

        foreach (var throughput in throughputs)
        {
            Line($"### Throughput targets: {Describe(throughput)}");
            Line($"");
            Line($"Load average when this part started: `{throughput.LoadAverage}`.");
            Line($"");
            Verdict.AppendTable(text, Targets.EvaluateThroughput(throughput));
            Line($"");
        }

        Line($"### Allocation target (BenchmarkDotNet `[MemoryDiagnoser]`, default runtime settings)");
        Line($"");
        Verdict.AppendTable(text, Targets.EvaluateAllocations(allocations));
        Line($"");
        Line($"Each benchmark invocation awaits a run of reads of 10 registers in sequence, as a poll loop does, against the");
        Line($"libmodbus server in a child process, so every byte counted in the benchmark process is the master's; figures");
        Line($"are per read. The mean time is BenchmarkDotNet's own measure of the same single-connection round trip.");
        Line($"Reads per invocation: {MasterAllocationBenchmarks.ReadsPerInvocation:N0}. Job: `{allocations.Job}`.");
        Line($"");
        Line($"The verdicts use BenchmarkDotNet's figure, which it rounds to whole bytes. The exact average also carries the");
        Line($"harness's share (the benchmark method's own async state, and the first read of each invocation, which starts on");
        Line($"the harness's thread: a few hundred bytes per invocation) and, now and then, a pooled async state object");
        Line($"allocated anew when completions move to a thread-pool thread whose pool slot is empty.");
        Line($"");
        Line($"| call | allocated per read (BenchmarkDotNet) | exact average | mean time per read |");
        Line($"| --- | ---: | ---: | ---: |");
        foreach (var c in allocations.Cases)
        {
            Line($"| `{c.Call}` | {c.BytesPerOperation:0} B | {c.ExactBytesPerOperation:0.000} B | {c.MeanMicroseconds:0.0} µs |");
        }

        Line($"");
        Line($"### Throughput, every round");
        Line($"");
        var first = throughputs[0];
        Line($"Transactions per second reading 10 holding registers at address 0 of unit 1 over loopback TCP, each");
        Line($"connection with one request in flight at a time. Each round runs every pairing in turn; the target tables");
        Line($"use the medians of the rounds. Rounds: {first.Rounds}; each figure is {first.MeasureSeconds:0.#} s counted after {first.WarmupSeconds:0.#} s of warm-up");
        Line($"on an open connection. Raw results: `artifacts/modbus-benchmark/*.json` (not committed).");
        foreach (var throughput in throughputs)
        {
            Line($"");
            Line($"{Describe(throughput)}:");
            Line($"");
            RoundsTable(text, throughput);
        }

        text.Append(HowToRead);
        return text.ToString();
    }

    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1";

    private static string Describe(ThroughputResults throughput) => throughput.RuntimeSettings switch
    {
        "" => ".NET runtime defaults",
        InlineCompletions => $"`{InlineCompletions}` (recommended for gateway hosts)",
        var other => $"`{other}`",
    };

    private static void RoundsTable(StringBuilder text, ThroughputResults throughput)
    {
        var header = new StringBuilder("| master | server | connections |");
        var rule = new StringBuilder("| --- | --- | ---: |");
        for (var round = 1; round <= throughput.Rounds; round++)
        {
            header.Append(Targets.Invariant($" round {round} |"));
            rule.Append(" ---: |");
        }

        text.AppendLine(header.Append(" median |").ToString());
        text.AppendLine(rule.Append(" ---: |").ToString());
        foreach (var s in throughput.Scenarios)
        {
            var row = new StringBuilder(Targets.Invariant($"| {s.Master} | {s.Server} | {s.Connections} |"));
            foreach (var sample in s.Samples)
            {
                row.Append(Targets.Invariant($" {sample:N0} |"));
            }

            text.AppendLine(row.Append(Targets.Invariant($" **{s.Median:N0}** |")).ToString());
        }
    }

    private const string HowToRead = """

        ### How to read these figures

        - **Who is measured.** The libmodbus master (`libmodbus/bench_master.c`) and server (`libmodbus/bench_server.c`)
          are small C programs written for this benchmark and built by `run.sh`. Our master runs in the benchmark
          process; our slave (`ModbusSlaveServer`) runs in a child process of its own (`Facilities.Modbus.Benchmarks
          serve`), as the C server does, so master and server never share a process. Our master uses the
          `ushort[]`-returning `ReadHoldingRegistersAsync`, the call a poller that keeps its readings makes.
        - **Two cores.** Master and server run on the same 2 cores. One request at a time over loopback is a
          ping-pong: the figure is the inverse of the round-trip time, which is system calls, thread wake-ups and
          context switches on both sides, hardly Modbus work. The libmodbus programs block in `select`/`recv` on their
          one thread, so the kernel wakes the thread that carries on. With the .NET defaults a socket's readiness is
          picked up by the runtime's epoll thread, which queues the continuation to a thread-pool worker: a second
          wake-up per receive on each .NET side, and idle workers spin briefly before sleeping, which takes CPU from
          the peer process on a 2-core machine. That hand-off is the gap in targets 1 and 2 under the defaults.
        - **Inline socket completions.** `DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1` makes the .NET runtime run
          socket continuations on its epoll threads (one per core) instead of handing them to the thread pool, which
          removes that hand-off; our transport already completes requests inline from its receive loop. We recommend
          it for gateway hosts (set it in the service's environment, e.g. the systemd unit or container image),
          because their work is exactly this: many small request/response exchanges. The condition is the house rule
          anyway: code that runs after awaiting a socket operation must not block (no sync-over-async, no long CPU
          work without yielding), or it stalls every socket served by that epoll thread. The variable has to be set
          before the process starts; it cannot be switched on from code.
        - **Many connections.** With 50 connections the cores are busy all the time and epoll returns many ready
          sockets per wake-up, so the aggregate is bounded by the CPU each transaction costs in our master and our
          slave together (both are .NET and share the 2 cores), not by round-trip latency. A `perf` profile of that
          run taken when this benchmark was written (inline completions) put over half of all CPU time in the
          kernel's socket system calls and their virtualisation overhead, about a tenth in the `recv`/`send` call
          sites, and about 7% in Facilities.Modbus code, so the library's own code cannot buy the missing margin
          to 3×. The single connection, meanwhile, already keeps the two cores about half busy (inline completions)
          or nearly fully busy (defaults, where idle thread-pool workers spin waiting for the next completion).
          On more cores, or with real devices whose answers take milliseconds, the concurrent figure grows much
          further above the single-connection rate than it can here.
        - **Noise.** This is a shared virtual machine; a few percent between runs is normal, more when something
          else runs (see the load averages). Every round runs every pairing and the medians are compared, so a slow
          moment hurts all pairings alike, but a busy neighbour can still move a ratio across a target.
        """;
}

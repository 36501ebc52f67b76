using BenchmarkDotNet.Attributes;
using Facilities.Modbus.Master;

namespace Facilities.Modbus.Benchmarks;

/// <summary>
/// Reads of 10 holding registers against the libmodbus server in a child process, so every byte the memory
/// diagnoser counts in this process is the master's. Each invocation awaits <see cref="ReadsPerInvocation"/> reads
/// in sequence, as a poll loop does: each read then starts on the thread that completed the previous one, where the
/// library's pooled async state was just returned. The invocation's own async state and its first read, which starts
/// on the harness's thread, come to well under 0.1 B per read. (Blocking on each read from the harness's thread
/// would measure the harness instead: every read would start on a thread the pooled state never returns to.)
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class MasterAllocationBenchmarks : IDisposable
{
    public const int ReadsPerInvocation = 10_000;

    private readonly ushort[] _destination = new ushort[MasterPolling.Registers];
    private readonly CancellationTokenSource _stopping = new();
    private ChildServer? _server;
    private ModbusMaster? _master;

    /// <summary>Where run.sh built the C programs; set before BenchmarkDotNet runs in this process.</summary>
    internal static string LibmodbusDirectory { get; set; } = "";

    [GlobalSetup]
    public async Task StartAsync()
    {
        _server = await ChildServer.StartLibmodbusAsync(LibmodbusDirectory, CancellationToken.None);
        _master = ModbusMaster.CreateTcp(new ModbusTcpMasterOptions { Host = "127.0.0.1", Port = _server.Port, MaxRequestsInFlight = 1 });
        await _master.ConnectAsync();
    }

    [Benchmark(Description = "ReadHoldingRegistersAsync(unit, address, Memory<ushort>, ct)", OperationsPerInvoke = ReadsPerInvocation)]
    public async Task ReadIntoMemory()
    {
        for (var i = 0; i < ReadsPerInvocation; i++)
        {
            (await _master!.ReadHoldingRegistersAsync(1, 0, _destination, CancellationToken.None)).ThrowIfException();
        }
    }

    [Benchmark(Description = "ReadHoldingRegistersAsync(unit, address, count, ct) returning ushort[]", OperationsPerInvoke = ReadsPerInvocation)]
    public async Task ReadArray()
    {
        for (var i = 0; i < ReadsPerInvocation; i++)
        {
            _ = (await _master!.ReadHoldingRegistersAsync(1, 0, MasterPolling.Registers, CancellationToken.None)).Value;
        }
    }

    [Benchmark(Description = "Memory<ushort> overload with a cancellable token", OperationsPerInvoke = ReadsPerInvocation)]
    public async Task ReadIntoMemoryCancellable()
    {
        for (var i = 0; i < ReadsPerInvocation; i++)
        {
            (await _master!.ReadHoldingRegistersAsync(1, 0, _destination, _stopping.Token)).ThrowIfException();
        }
    }

    [GlobalCleanup]
    public async Task StopAsync()
    {
        if (_master is not null)
        {
            await _master.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}

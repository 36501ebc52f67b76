using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Facilities.Modbus.Benchmarks;

/// <summary>Runs <see cref="MasterAllocationBenchmarks"/> under BenchmarkDotNet and keeps bytes and time per call.</summary>
internal static class AllocationSuite
{
    public static AllocationResults Run(string libmodbusDirectory, string artifactsDirectory)
    {
        MasterAllocationBenchmarks.LibmodbusDirectory = libmodbusDirectory;

        // In-process: nothing to generate and build, so the whole run takes seconds, and the child server started in
        // [GlobalSetup] belongs to this process. ShortRun: 3 warm-up and 3 measured iterations of ~0.5 s each.
        var job = Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
            .AddExporter(MarkdownExporter.GitHub)
            .WithArtifactsPath(artifactsDirectory);

        var summary = BenchmarkRunner.Run<MasterAllocationBenchmarks>(config);
        if (summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success))
        {
            throw new InvalidOperationException("BenchmarkDotNet did not complete every case; see its log above");
        }

        return new AllocationResults(
            job.DisplayInfo,
            [.. summary.Reports.Select(r => new AllocationResult(
                r.BenchmarkCase.Descriptor.WorkloadMethod.Name,
                r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) ?? double.NaN,
                (double)(r.GcStats.GetTotalAllocatedBytes(excludeAllocationQuantumSideEffects: true) ?? 0) / r.GcStats.TotalOperations,
                r.ResultStatistics!.Mean / 1000))]);
    }
}

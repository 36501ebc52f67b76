using System.Text.Json;
using System.Text.Json.Serialization;

namespace Facilities.Modbus.Benchmarks;

/// <summary>Names of the throughput pairings, shared by the suite that measures them and the targets that compare them.</summary>
internal static class ScenarioIds
{
    public const string LibmodbusMasterLibmodbusServer = "libmodbus-master/libmodbus-server";
    public const string OurMasterLibmodbusServer = "our-master/libmodbus-server";
    public const string LibmodbusMasterOurServer = "libmodbus-master/our-server";
    public const string OurMasterOurServer = "our-master/our-server";
    public const string OurMasterManyConnectionsOurServer = "our-master-many/our-server";
}

/// <summary>One master/server pairing: transactions per second of every round and their median.</summary>
internal sealed record ScenarioResult(string Id, string Master, string Server, int Connections, IReadOnlyList<double> Samples, double Median);

/// <param name="RuntimeSettings">The DOTNET_* environment of our master and slave processes ("" for the defaults).</param>
/// <param name="LoadAverage">/proc/loadavg as the run started: anything else busy on the machine shows here.</param>
internal sealed record ThroughputResults(
    string RuntimeSettings, string LoadAverage, double WarmupSeconds, double MeasureSeconds, int Rounds, IReadOnlyList<ScenarioResult> Scenarios)
{
    public double MedianOf(string id) => Scenarios.Single(s => s.Id == id).Median;

    public ScenarioResult Get(string id) => Scenarios.Single(s => s.Id == id);
}

/// <summary>One BenchmarkDotNet case per transaction: bytes allocated as BenchmarkDotNet reports them (whole bytes), the exact average, and mean time.</summary>
internal sealed record AllocationResult(string Method, string Call, double BytesPerOperation, double ExactBytesPerOperation, double MeanMicroseconds);

internal sealed record AllocationResults(string Job, IReadOnlyList<AllocationResult> Cases)
{
    public AllocationResult Get(string method) => Cases.Single(c => c.Method == method);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ThroughputResults))]
[JsonSerializable(typeof(AllocationResults))]
internal sealed partial class ResultsJsonContext : JsonSerializerContext;

/// <summary>The JSON files that carry results from one command of run.sh to the report.</summary>
internal static class ResultFiles
{
    public static async Task WriteAsync(string path, ThroughputResults results, CancellationToken cancellationToken)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, results, ResultsJsonContext.Default.ThroughputResults, cancellationToken);
    }

    public static async Task WriteAsync(string path, AllocationResults results, CancellationToken cancellationToken)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, results, ResultsJsonContext.Default.AllocationResults, cancellationToken);
    }

    public static async Task<ThroughputResults> ReadThroughputAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(file, ResultsJsonContext.Default.ThroughputResults, cancellationToken)
            ?? throw new InvalidDataException($"{path}: empty");
    }

    public static async Task<AllocationResults> ReadAllocationsAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(file, ResultsJsonContext.Default.AllocationResults, cancellationToken)
            ?? throw new InvalidDataException($"{path}: empty");
    }
}
